#include "core/domain/money.hpp"

#include <boost/json/value.hpp>

#include <charconv>
#include <cstdint>

namespace orderflow::domain {

namespace {
// Parses "123", "123.4", "123.45" into units scaled by 10^scale (at most `scale` decimals).
std::optional<std::int64_t> parse_decimal(std::string_view s, int scale, std::int64_t max) {
  if (s.empty()) return std::nullopt;
  std::int64_t whole = 0;
  std::size_t i = 0;
  for (; i < s.size() && s[i] != '.'; ++i) {
    if (s[i] < '0' || s[i] > '9') return std::nullopt;
    whole = whole * 10 + (s[i] - '0');
    if (whole > max) return std::nullopt;
  }
  if (i == 0) return std::nullopt;
  std::int64_t frac = 0;
  int digits = 0;
  if (i < s.size()) {
    ++i;  // '.'
    if (i == s.size()) return std::nullopt;
    for (; i < s.size(); ++i) {
      if (s[i] < '0' || s[i] > '9' || digits == scale) return std::nullopt;
      frac = frac * 10 + (s[i] - '0');
      ++digits;
    }
  }
  for (; digits < scale; ++digits) frac *= 10;
  std::int64_t unit = 1;
  for (int k = 0; k < scale; ++k) unit *= 10;
  const std::int64_t total = whole * unit + frac;
  if (total > max) return std::nullopt;
  return total;
}
}  // namespace

std::optional<Cents> parse_money_text(std::string_view text) {
  return parse_decimal(text, 2, kMaxAmountCents);
}

std::optional<Cents> parse_money(const boost::json::value& v) {
  if (v.is_string()) return parse_money_text(v.get_string());
  if (v.is_int64()) {
    const auto n = v.get_int64();
    if (n < 0 || n > kMaxAmountCents / 100) return std::nullopt;
    return n * 100;
  }
  if (v.is_uint64()) {
    const auto n = v.get_uint64();
    if (n > static_cast<std::uint64_t>(kMaxAmountCents / 100)) return std::nullopt;
    return static_cast<Cents>(n) * 100;
  }
  // A fractional number is refused: its digits are gone once it is a double (9999.999 and
  // 10000.00 meet there). The request reader keeps money numbers as their text.
  return std::nullopt;
}

std::string format_money(Cents cents) {
  // By hand, not snprintf: every amount of every answer goes through here.
  const std::uint64_t abs = cents < 0 ? 0 - static_cast<std::uint64_t>(cents) : cents;
  char buf[32];
  char* p = buf;
  if (cents < 0) *p++ = '-';
  p = std::to_chars(p, buf + sizeof buf, abs / 100).ptr;
  *p++ = '.';
  *p++ = static_cast<char>('0' + abs % 100 / 10);
  *p++ = static_cast<char>('0' + abs % 10);
  return std::string(buf, p);
}

std::optional<Rate> Rate::parse(std::string_view text) {
  auto v = parse_decimal(text, 6, 1'000'000'000'000LL);
  if (!v) return std::nullopt;
  return Rate{*v};
}

// A GCC/Clang extension; the product of two int64 values needs 128 bits.
__extension__ using Int128 = __int128;

Cents apply_rate(Cents amount, Rate rate) {
  const Int128 product = static_cast<Int128>(amount) * rate.millionths;
  return static_cast<Cents>((product + 500'000) / 1'000'000);
}

}  // namespace orderflow::domain
