#include "drivers/mysql/statement.hpp"

#include <stdexcept>

namespace orderflow::mysql {

void render(std::string& out, const Statement& s, const Escape& escape) {
  const std::string_view sql = s.sql;
  std::size_t next_param = 0;
  char quote = 0;  // the quote we are inside of, if any
  for (std::size_t i = 0; i < sql.size(); ++i) {
    const char c = sql[i];
    if (quote) {
      out += c;
      if (c == '\\' && quote != '`' && i + 1 < sql.size())
        out += sql[++i];
      else if (c == quote)
        quote = 0;
      continue;
    }
    if (c == '\'' || c == '"' || c == '`') {
      quote = c;
      out += c;
    } else if (c == '-' && sql.substr(i, 3) == "-- ") {
      const auto end = sql.find('\n', i);
      const auto stop = end == std::string_view::npos ? sql.size() : end;
      out.append(sql.substr(i, stop - i));
      i = stop - 1;
    } else if (c == '?') {
      if (next_param >= s.params.size())
        throw std::logic_error("more placeholders than values in: " + s.sql);
      const auto& p = s.params[next_param++];
      if (!p.value()) {
        out += "NULL";
      } else if (p.is_number()) {
        out += *p.value();
      } else {
        // Two literals side by side would read as one ('a''b' is a'b): keep them apart.
        if (!out.empty() && out.back() == '\'') out += ' ';
        out += '\'';
        escape(out, *p.value());
        out += '\'';
      }
    } else {
      out += c;
    }
  }
  if (next_param != s.params.size())
    throw std::logic_error("more values than placeholders in: " + s.sql);
}

}  // namespace orderflow::mysql
