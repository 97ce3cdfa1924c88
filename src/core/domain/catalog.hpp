#pragma once
#include <boost/json/object.hpp>
#include <boost/json/value.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/domain/money.hpp"
#include "core/domain/order.hpp"

namespace orderflow::domain {

struct Category {
  std::string slug, name;
  std::int64_t product_count = 0;
};

// A catalog product as the API shows it.
struct CatalogProduct {
  std::string product_id, sku, name, description;
  Cents price = 0;
  std::string category_slug, category_name;
  std::int64_t stock = 0, reserved = 0;
  std::int64_t created_at = 0, updated_at = 0;
};

// The orders a product list may be sorted in, by their query names: name, -name, price,
// -price, -created_at (newest first). Each backend writes them in its own SQL.
enum class ProductSort { name, name_desc, price, price_desc, newest };
std::optional<ProductSort> parse_product_sort(std::string_view text);
std::string_view to_string(ProductSort sort);

// Fields of POST /api/products (all required but product_id and description) or of
// PUT /api/products/{id} (all optional).
struct ProductFields {
  std::optional<std::string> product_id, sku, name, description, category;
  std::optional<Cents> price;
  std::optional<std::int64_t> stock;
};

struct ProductFieldsParse {
  ProductFields fields;
  std::vector<FieldError> errors;
};
ProductFieldsParse parse_new_product(const boost::json::value& body);
ProductFieldsParse parse_product_patch(const boost::json::value& body);

struct CategoryParse {
  Category category;
  std::vector<FieldError> errors;
};
CategoryParse parse_new_category(const boost::json::value& body);
bool is_valid_slug(std::string_view slug);

// PUT /api/products/{id}/inventory: exactly one of {"stock":n} or {"delta":n}.
struct InventoryChange {
  std::optional<std::int64_t> stock, delta;
};
struct InventoryParse {
  InventoryChange change;
  std::vector<FieldError> errors;
};
InventoryParse parse_inventory_change(const boost::json::value& body);

enum class InventoryVerdict { ok, negative, below_reserved };
// The new stock an inventory change gives, and whether it may be applied.
std::pair<std::int64_t, InventoryVerdict> apply_inventory_change(std::int64_t stock,
                                                                 std::int64_t reserved,
                                                                 const InventoryChange& change);

boost::json::object product_json(const CatalogProduct& p, std::string_view currency);
boost::json::object category_json(const Category& c);

// The demo catalog a fresh embedded install starts with.
struct DemoCatalog {
  std::vector<Category> categories;
  std::vector<CatalogProduct> products;
};
DemoCatalog demo_catalog();

}  // namespace orderflow::domain
