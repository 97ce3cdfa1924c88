// MySQL statements with their values (mysql::render, escaped by Connector/C as in the service):
// whatever the values, the statement's text outside string literals is the template's, and each
// value comes back byte for byte from its literal, read the way MySQL's lexer reads one. So no
// value can end its literal early and add SQL of its own. The input is a template (up to the
// first \x01: text with ? placeholders) and the values after it, separated by \x01 (a value may
// hold any other byte, NUL included).
#include <mysql.h>

#include <cstdint>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "drivers/mysql/statement.hpp"

using namespace orderflow;

namespace {

void escape(std::string& out, std::string_view text) {
  const auto at = out.size();
  out.resize(at + text.size() * 2 + 1);
  const auto n =
      mysql_escape_string(out.data() + at, text.data(), static_cast<unsigned long>(text.size()));
  out.resize(at + n);
}

// A single-quoted literal starting at `i` (on its opening quote), as MySQL reads it with
// backslash escapes on; `i` ends after its closing quote. nullopt when it does not close.
std::optional<std::string> read_literal(std::string_view sql, std::size_t& i) {
  std::string value;
  for (++i; i < sql.size(); ++i) {
    const char c = sql[i];
    if (c == '\'') {
      if (i + 1 < sql.size() && sql[i + 1] == '\'') {  // '' is a quote
        value += '\'';
        ++i;
        continue;
      }
      ++i;
      return value;
    }
    if (c != '\\' || i + 1 >= sql.size()) {
      value += c;
      continue;
    }
    const char e = sql[++i];
    switch (e) {
      case '0':
        value += '\0';
        break;
      case 'n':
        value += '\n';
        break;
      case 'r':
        value += '\r';
        break;
      case 'Z':
        value += '\x1a';
        break;
      case 't':
        value += '\t';
        break;
      case 'b':
        value += '\b';
        break;
      default:
        value += e;  // \\ \' \" and any other character stand for themselves
    }
  }
  return std::nullopt;
}

}  // namespace

// The connector's character sets are set up by mysql_library_init (the service's driver calls it
// before its first connection).
extern "C" int LLVMFuzzerInitialize(int*, char***) {
  mysql_library_init(0, nullptr, nullptr);
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  const auto cut = input.find('\x01');
  std::string tmpl(input.substr(0, cut));
  // Templates are the service's own SQL: without quotes or comments here, so that every
  // literal of the output is a value's.
  for (char& c : tmpl)
    if (c == '\'' || c == '"' || c == '`' || c == '-' || c == '\\') c = ' ';
  mysql::Statement s{tmpl, {}};
  std::vector<std::string> values;
  if (cut != std::string_view::npos) {
    std::size_t start = cut + 1;
    while (start <= input.size()) {
      const auto end = input.find('\x01', start);
      values.emplace_back(
          input.substr(start, end == std::string_view::npos ? input.npos : end - start));
      if (end == std::string_view::npos) break;
      start = end + 1;
    }
  }
  for (const auto& v : values) s.params.emplace_back(v);
  std::string out;
  try {
    mysql::render(out, s, escape);
  } catch (const std::logic_error&) {
    return 0;  // placeholders and values differ in number: refused
  }
  // Walk the output: outside literals it must be the template with each ? replaced.
  std::size_t i = 0, next = 0;
  for (const char c : tmpl) {
    if (c != '?') {
      if (i >= out.size() || out[i] != c) __builtin_trap();
      ++i;
      continue;
    }
    // render keeps a literal apart from one just before it by a space.
    if (i > 0 && out[i - 1] == '\'' && i < out.size() && out[i] == ' ') ++i;
    if (i >= out.size() || out[i] != '\'') __builtin_trap();
    const auto value = read_literal(out, i);
    if (!value || *value != values.at(next++)) __builtin_trap();
  }
  if (i != out.size() || next != values.size()) __builtin_trap();
  return 0;
}
