// Request bodies: the request reader (money kept as written, NUL refused) and every body
// validator of the API; a valid order survives its trip through a queue message unchanged.
#include <boost/json/serialize.hpp>

#include <cstdint>
#include <string_view>

#include "base/json.hpp"
#include "base/utf8.hpp"
#include "core/domain/cart.hpp"
#include "core/domain/catalog.hpp"
#include "core/domain/money.hpp"
#include "core/domain/order.hpp"

using namespace orderflow;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  const auto read = parse_request_json(text, domain::kMoneyFields);
  if (!read.value) return 0;
  const auto& body = *read.value;
  if (!is_valid_utf8(to_json_text(body))) __builtin_trap();
  const auto order = domain::parse_order_request(body, "USD");
  if (order.errors.empty()) {
    const auto message = domain::to_message_json(order.request);
    const auto again = domain::to_message_json(domain::order_request_from_message(message));
    if (boost::json::serialize(message) != boost::json::serialize(again)) __builtin_trap();
  }
  (void)domain::parse_new_product(body);
  (void)domain::parse_product_patch(body);
  (void)domain::parse_inventory_change(body);
  (void)domain::parse_new_category(body);
  (void)domain::parse_cart_item(body, true);
  (void)domain::parse_cart_item(body, false);
  return 0;
}
