#include "backends/mysql/mysql_sql_text.hpp"

#include <stdexcept>

namespace orderflow::backends {

std::string repeated(std::string_view unit, std::size_t n, std::string_view separator) {
  std::string out;
  out.reserve(n * (unit.size() + separator.size()));
  for (std::size_t i = 0; i < n; ++i) {
    if (i) out += separator;
    out += unit;
  }
  return out;
}

std::string with_slot(std::string sql, std::string_view name, std::string_view text) {
  const std::string slot = "{" + std::string(name) + "}";
  const auto at = sql.find(slot);
  if (at == std::string::npos) throw std::logic_error("no slot " + slot + " in: " + sql);
  return sql.replace(at, slot.size(), text);
}

}  // namespace orderflow::backends
