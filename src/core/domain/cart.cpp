#include "core/domain/cart.hpp"

#include <algorithm>

#include "base/ids.hpp"
#include "base/time.hpp"
#include "core/domain/validation.hpp"

namespace orderflow::domain {

namespace json = boost::json;

CartItemParse parse_cart_item(const json::value& body, bool allow_zero) {
  CartItemParse out;
  const auto* object = body_object(body, out.errors);
  if (!object) return out;
  const auto& o = *object;
  if (auto id = required_id(o, "product_id", is_valid_client_id, kClientIdRule, out.errors))
    out.item.product_id = std::move(*id);
  const auto* q = o.if_contains("quantity");
  const std::int64_t lo = allow_zero ? 0 : 1;
  std::optional<std::int64_t> n;
  if (q && q->is_int64()) n = q->get_int64();
  if (q && q->is_uint64() && q->get_uint64() <= static_cast<std::uint64_t>(kMaxLineQuantity))
    n = static_cast<std::int64_t>(q->get_uint64());
  if (!n || *n < lo || *n > kMaxLineQuantity)
    out.errors.push_back(
        {"quantity", "must be an integer from " + std::to_string(lo) + " to 1000"});
  else
    out.item.quantity = *n;
  return out;
}

CartCheck check_cart_quantity(std::int64_t wanted, std::int64_t available) {
  if (wanted > kMaxLineQuantity) return CartCheck::exceeds_line_limit;
  if (wanted > available) return CartCheck::exceeds_available;
  return CartCheck::ok;
}

json::object cart_json(const std::string& session_id, const std::vector<CartLineView>& lines,
                       const std::vector<CatalogProduct>& products,
                       std::optional<std::int64_t> updated_at) {
  json::array items;
  std::int64_t units = 0;
  Cents subtotal = 0;
  for (const auto& line : lines) {
    const auto p = std::find_if(products.begin(), products.end(), [&](const CatalogProduct& x) {
      return x.product_id == line.product_id;
    });
    if (p == products.end()) continue;
    const Cents total = p->price * line.quantity;
    items.push_back(json::object{{"product_id", p->product_id},
                                 {"name", p->name},
                                 {"unit_price", format_money(p->price)},
                                 {"quantity", line.quantity},
                                 {"line_total", format_money(total)}});
    units += line.quantity;
    subtotal += total;
  }
  return {
      {"session_id", session_id},
      {"items", std::move(items)},
      {"item_count", units},
      {"subtotal", format_money(subtotal)},
      {"updated_at", updated_at ? json::value(format_rfc3339(*updated_at)) : json::value(nullptr)}};
}

}  // namespace orderflow::domain
