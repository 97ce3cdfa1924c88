#pragma once
// What goes to MySQL: statements with `?` placeholders and their values. A request of one
// statement with values runs as a server-side prepared statement. In a request of several, the
// values are put into the statements' text by the client, each text quoted and escaped by the
// connector for the connection's character set (mysql_real_escape_string), so that the request
// goes as one text query: one round trip, where prepared statements would take one per
// statement (docs/architecture.md).
#include <concepts>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace orderflow::mysql {

// One value: NULL, a text (quoted and escaped) or an integer (as digits).
class Param {
 public:
  Param() = default;  // NULL
  Param(std::nullopt_t) {}
  Param(std::string text) : value_(std::move(text)) {}
  Param(std::string_view text) : value_(std::string(text)) {}
  Param(const char* text) : value_(std::string(text)) {}
  template <std::integral T>
  Param(T number) : value_(std::to_string(number)), number_(true) {}
  Param(std::optional<std::string> text) : value_(std::move(text)) {}
  Param(std::optional<std::int64_t> number)
      : value_(number ? std::optional(std::to_string(*number)) : std::nullopt), number_(true) {}

  const std::optional<std::string>& value() const { return value_; }
  bool is_number() const { return number_; }

 private:
  std::optional<std::string> value_;
  bool number_ = false;
};

using Params = std::vector<Param>;

struct Statement {
  std::string sql;
  Params params;
  // A request of this one statement, with values, runs as a server-side prepared statement
  // (binary protocol, prepared once per connection); false for transaction control.
  bool prepare = true;
};

// Appends `text` escaped for the inside of a quoted literal.
using Escape = std::function<void(std::string& out, std::string_view text)>;

// Appends `s.sql` with each `?` outside quotes, backquotes and comments replaced by its value.
// Throws std::logic_error when the number of placeholders and values differ.
void render(std::string& out, const Statement& s, const Escape& escape);

}  // namespace orderflow::mysql
