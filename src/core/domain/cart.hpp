#pragma once
// Cart rules, pure: quantities, availability, and the cart's view with totals.
#include <boost/json/object.hpp>
#include <boost/json/value.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/domain/catalog.hpp"

namespace orderflow::domain {

inline constexpr std::int64_t kMaxLineQuantity = 1000;

struct CartItemRequest {
  std::string product_id;
  std::int64_t quantity = 0;
};
struct CartItemParse {
  CartItemRequest item;
  std::vector<FieldError> errors;
};
// {"product_id","quantity"}; quantity 1..1000, or 0..1000 when `allow_zero` (update: 0 removes).
CartItemParse parse_cart_item(const boost::json::value& body, bool allow_zero);

enum class CartCheck { ok, exceeds_available, exceeds_line_limit };
// Whether a line may hold `wanted` units of a product with `available` units.
CartCheck check_cart_quantity(std::int64_t wanted, std::int64_t available);

struct CartLineView {
  std::string product_id;
  std::int64_t quantity = 0;
};
// The cart as the API shows it, priced from the current catalog; lines whose product is gone
// are left out.
boost::json::object cart_json(const std::string& session_id, const std::vector<CartLineView>& lines,
                              const std::vector<CatalogProduct>& products,
                              std::optional<std::int64_t> updated_at);

}  // namespace orderflow::domain
