// Money: text and JSON numbers are judged alike (a number is refused exactly when its text as
// a string is), and what is accepted prints back to the same amount.
#include <boost/json/value.hpp>

#include <cstdint>
#include <string>

#include "base/json.hpp"
#include "core/domain/money.hpp"

using namespace orderflow;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  const auto as_text = domain::parse_money_text(text);
  if (as_text) {
    if (*as_text < 0 || *as_text > domain::kMaxAmountCents) __builtin_trap();
    if (domain::parse_money_text(domain::format_money(*as_text)) != as_text) __builtin_trap();
  }
  // The same characters as a JSON number, where they are one.
  const auto read = parse_request_json("{\"amount\":" + text + "}", domain::kMoneyFields);
  if (read.value && read.value->is_object()) {
    const auto& amount = read.value->get_object().at("amount");
    if (!amount.is_string() && amount.is_number()) __builtin_trap();  // a number lost its text
    if (amount.is_string() &&
        domain::parse_money(amount) != domain::parse_money_text(amount.get_string()))
      __builtin_trap();
  }
  (void)domain::Rate::parse(text);
  return 0;
}
