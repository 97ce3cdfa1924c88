#include "core/domain/catalog.hpp"

#include <algorithm>
#include <array>
#include <utility>

#include "base/ids.hpp"
#include "base/time.hpp"
#include "core/domain/validation.hpp"

namespace orderflow::domain {

namespace json = boost::json;

namespace {

constexpr std::int64_t kMaxStock = 1'000'000'000;

constexpr std::array<std::pair<ProductSort, std::string_view>, 5> kSortNames{{
    {ProductSort::name, "name"},
    {ProductSort::name_desc, "-name"},
    {ProductSort::price, "price"},
    {ProductSort::price_desc, "-price"},
    {ProductSort::newest, "-created_at"},
}};

std::optional<std::int64_t> as_integer(const json::value& v) {
  if (v.is_int64()) return v.get_int64();
  if (v.is_uint64() && v.get_uint64() <= static_cast<std::uint64_t>(INT64_MAX))
    return static_cast<std::int64_t>(v.get_uint64());
  return std::nullopt;
}

void text_field(const json::object& o, std::string_view key, std::size_t max,
                std::optional<std::string>& out, std::vector<FieldError>& errors,
                bool allow_empty = false) {
  const auto* v = o.if_contains(key);
  if (!v || v->is_null()) return;
  if (!v->is_string() || (!allow_empty && v->get_string().empty()) ||
      v->get_string().size() > max) {
    errors.push_back({std::string(key), "must be a string of " +
                                            std::string(allow_empty ? "0" : "1") + "-" +
                                            std::to_string(max) + " characters"});
    return;
  }
  out = std::string(v->get_string());
}

void read_product(const json::object& o, bool require_all, ProductFields& f,
                  std::vector<FieldError>& errors) {
  if (require_all)
    f.product_id = optional_id(o, "product_id", is_valid_client_id, kClientIdRule, errors);
  text_field(o, "sku", 100, f.sku, errors);
  text_field(o, "name", 255, f.name, errors);
  text_field(o, "description", 5000, f.description, errors, true);
  f.category = optional_id(o, "category", is_valid_slug,
                           "must be a category slug (^[a-z0-9-]{1,64}$)", errors);
  if (const auto* p = o.if_contains("price"); p && !p->is_null()) {
    if (auto cents = parse_money(*p))
      f.price = *cents;
    else
      errors.push_back({"price", "must be a non-negative amount with at most 2 decimals"});
  }
  if (const auto* s = o.if_contains("stock"); s && !s->is_null()) {
    const auto n = as_integer(*s);
    if (!n || *n < 0 || *n > kMaxStock)
      errors.push_back({"stock", "must be an integer from 0 to 1000000000"});
    else
      f.stock = *n;
  }
  if (require_all) {
    const auto missing = [&](const char* field, bool present) {
      if (!present && std::none_of(errors.begin(), errors.end(),
                                   [&](const FieldError& e) { return e.field == field; }))
        errors.push_back({field, "is required"});
    };
    missing("sku", f.sku.has_value());
    missing("name", f.name.has_value());
    missing("price", f.price.has_value());
    missing("category", f.category.has_value());
    missing("stock", f.stock.has_value());
  }
}

ProductFieldsParse parse_product(const json::value& body, bool require_all) {
  ProductFieldsParse out;
  if (const auto* o = body_object(body, out.errors))
    read_product(*o, require_all, out.fields, out.errors);
  return out;
}

}  // namespace

std::optional<ProductSort> parse_product_sort(std::string_view text) {
  for (const auto& [sort, name] : kSortNames)
    if (name == text) return sort;
  return std::nullopt;
}

std::string_view to_string(ProductSort sort) {
  for (const auto& [s, name] : kSortNames)
    if (s == sort) return name;
  return "name";
}

bool is_valid_slug(std::string_view slug) {
  if (slug.empty() || slug.size() > 64) return false;
  return std::all_of(slug.begin(), slug.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-';
  });
}

ProductFieldsParse parse_new_product(const json::value& body) {
  return parse_product(body, true);
}
ProductFieldsParse parse_product_patch(const json::value& body) {
  return parse_product(body, false);
}

CategoryParse parse_new_category(const json::value& body) {
  CategoryParse out;
  const auto* object = body_object(body, out.errors);
  if (!object) return out;
  const auto& o = *object;
  if (auto slug = required_id(o, "slug", is_valid_slug, "must match ^[a-z0-9-]{1,64}$", out.errors))
    out.category.slug = std::move(*slug);
  std::optional<std::string> name;
  text_field(o, "name", 255, name, out.errors);
  if (name)
    out.category.name = *name;
  else if (!o.contains("name") || o.at("name").is_null())
    out.errors.push_back({"name", "is required"});
  return out;
}

InventoryParse parse_inventory_change(const json::value& body) {
  InventoryParse out;
  const auto* o = body.is_object() ? &body.get_object() : nullptr;
  const auto* stock = o ? o->if_contains("stock") : nullptr;
  const auto* delta = o ? o->if_contains("delta") : nullptr;
  if (!o || (!stock) == (!delta)) {
    out.errors.push_back({"", "give exactly one of stock or delta"});
    return out;
  }
  const auto n = as_integer(stock ? *stock : *delta);
  if (!n || *n > kMaxStock || *n < -kMaxStock)
    out.errors.push_back({stock ? "stock" : "delta", "must be an integer"});
  else if (stock)
    out.change.stock = *n;
  else
    out.change.delta = *n;
  return out;
}

std::pair<std::int64_t, InventoryVerdict> apply_inventory_change(std::int64_t stock,
                                                                 std::int64_t reserved,
                                                                 const InventoryChange& change) {
  const auto next = change.stock ? *change.stock : stock + change.delta.value_or(0);
  if (next < 0 || next > kMaxStock) return {next, InventoryVerdict::negative};
  if (next < reserved) return {next, InventoryVerdict::below_reserved};
  return {next, InventoryVerdict::ok};
}

json::object product_json(const CatalogProduct& p, std::string_view currency) {
  return {{"product_id", p.product_id},
          {"sku", p.sku},
          {"name", p.name},
          {"description", p.description},
          {"price", format_money(p.price)},
          {"currency", currency},
          {"category", json::object{{"slug", p.category_slug}, {"name", p.category_name}}},
          {"stock", p.stock},
          {"available", p.stock - p.reserved},
          {"created_at", format_rfc3339(p.created_at)},
          {"updated_at", format_rfc3339(p.updated_at)}};
}

json::object category_json(const Category& c) {
  return {{"slug", c.slug}, {"name", c.name}, {"product_count", c.product_count}};
}

DemoCatalog demo_catalog() {
  DemoCatalog d;
  d.categories = {
      {"electronics", "Electronics", 0}, {"books", "Books", 0}, {"kitchen", "Kitchen", 0},
      {"outdoor", "Outdoor", 0},         {"toys", "Toys", 0},   {"gift-cards", "Gift cards", 0}};
  struct Row {
    const char* id;
    const char* name;
    const char* category;
    Cents price;
    std::int64_t stock;
  };
  // Stable ids and SKUs, so that demo orders and bookmarks survive a reload.
  const Row rows[] = {
      {"p-headphones", "Wireless Headphones", "electronics", 8999, 40},
      {"p-keyboard", "Mechanical Keyboard", "electronics", 12950, 25},
      {"p-mouse", "Ergonomic Mouse", "electronics", 3999, 60},
      {"p-monitor", "27\" 4K Monitor", "electronics", 32900, 10},
      {"p-charger", "USB-C Charger 65 W", "electronics", 2999, 120},
      {"p-speaker", "Bluetooth Speaker", "electronics", 5999, 0},
      {"p-novel", "The Long Queue (novel)", "books", 1499, 80},
      {"p-cookbook", "Weeknight Cookbook", "books", 2450, 35},
      {"p-cpp-book", "Modern C++ in Practice", "books", 4900, 15},
      {"p-atlas", "World Atlas", "books", 3500, 5},
      {"p-poems", "Collected Poems", "books", 1800, 22},
      {"p-knife", "Chef's Knife 20 cm", "kitchen", 6900, 30},
      {"p-pan", "Cast Iron Pan", "kitchen", 4500, 18},
      {"p-kettle", "Electric Kettle", "kitchen", 3900, 26},
      {"p-grinder", "Coffee Grinder", "kitchen", 5400, 12},
      {"p-mugs", "Stoneware Mugs (set of 4)", "kitchen", 2800, 44},
      {"p-board", "Bamboo Cutting Board", "kitchen", 1950, 0},
      {"p-tent", "Two-Person Tent", "outdoor", 18900, 8},
      {"p-backpack", "Hiking Backpack 40 L", "outdoor", 9900, 14},
      {"p-bottle", "Insulated Bottle", "outdoor", 2499, 90},
      {"p-lamp", "Camping Lantern", "outdoor", 3299, 33},
      {"p-chair", "Folding Chair", "outdoor", 4599, 20},
      {"p-blocks", "Building Blocks (500 pcs)", "toys", 3999, 50},
      {"p-puzzle", "1000-Piece Puzzle", "toys", 1999, 45},
      {"p-kite", "Stunt Kite", "toys", 2999, 16},
      {"p-robot", "Programmable Robot", "toys", 11900, 6},
      {"p-cards", "Card Game", "toys", 1299, 70},
      {"p-gift-25", "Gift Card 25", "gift-cards", 2500, 1000},
      {"p-gift-50", "Gift Card 50", "gift-cards", 5000, 1000},
      {"p-gift-100", "Gift Card 100", "gift-cards", 10000, 1000},
  };
  const auto now = now_ms();
  int n = 0;
  for (const auto& r : rows) {
    CatalogProduct p;
    p.product_id = r.id;
    p.sku = "SKU-" + std::to_string(1000 + ++n);
    p.name = r.name;
    p.description = std::string("Demo product: ") + r.name + ".";
    p.price = r.price;
    p.category_slug = r.category;
    p.stock = r.stock;
    p.created_at = p.updated_at = now;
    d.products.push_back(std::move(p));
  }
  return d;
}

}  // namespace orderflow::domain
