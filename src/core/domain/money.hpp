#pragma once
#include <boost/json/fwd.hpp>

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace orderflow::domain {

// Money in integer minor units (cents). The contract allows 0 .. 10 000 000 000.00.
using Cents = std::int64_t;
inline constexpr Cents kMaxAmountCents = 10'000'000'000LL * 100;

// Where request bodies carry money (paths as parse_request_json takes them): the request
// reader keeps these numbers as their text for parse_money.
inline constexpr std::array<std::string_view, 3> kMoneyFields{"amount", "price",
                                                              "items[].unit_price"};

// Parses a money value: a JSON string or integer (a number with a fraction must reach here as
// its text, see parse_request_json): >= 0, at most two decimals, at most kMaxAmountCents.
// Returns nullopt for anything else.
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
