#pragma once
#include <boost/json/fwd.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace orderflow::domain {

// Money in integer minor units (cents). The contract allows 0 .. 10 000 000 000.00.
using Cents = std::int64_t;
inline constexpr Cents kMaxAmountCents = 10'000'000'000LL * 100;

// Parses a money value given as a JSON number or string: >= 0, at most two decimals,
// at most kMaxAmountCents. Returns nullopt for anything else.
std::optional<Cents> parse_money(const boost::json::value& v);
std::optional<Cents> parse_money_text(std::string_view text);

// "108.00": exactly two decimals.
std::string format_money(Cents cents);

// A non-negative decimal rate such as 0.08, kept exactly in millionths.
struct Rate {
  std::int64_t millionths = 0;
  static std::optional<Rate> parse(std::string_view text);
};

// round_half_up(amount × rate) to the cent.
Cents apply_rate(Cents amount, Rate rate);

}  // namespace orderflow::domain
