#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <boost/json/parse.hpp>

#include "core/domain/cart.hpp"
#include "core/domain/catalog.hpp"
#include "request_body.hpp"

using namespace orderflow::domain;
namespace json = boost::json;

TEST(CartRules, QuantityWithinAvailabilityAndLineLimit) {
  EXPECT_EQ(check_cart_quantity(5, 5), CartCheck::ok);
  EXPECT_EQ(check_cart_quantity(6, 5), CartCheck::exceeds_available);
  EXPECT_EQ(check_cart_quantity(1, 0), CartCheck::exceeds_available);
  EXPECT_EQ(check_cart_quantity(1001, 5000), CartCheck::exceeds_line_limit);
}

TEST(CartRules, ParsesItems) {
  auto p = parse_cart_item(request_body(R"({"product_id":"p-1","quantity":3})"), false);
  EXPECT_TRUE(p.errors.empty());
  EXPECT_EQ(p.item.quantity, 3);
  EXPECT_EQ(
      parse_cart_item(request_body(R"({"product_id":"p-1","quantity":0})"), false).errors.size(),
      1u);
  EXPECT_TRUE(
      parse_cart_item(request_body(R"({"product_id":"p-1","quantity":0})"), true).errors.empty());
  EXPECT_EQ(
      parse_cart_item(request_body(R"({"product_id":"p 1","quantity":1001})"), true).errors.size(),
      2u);
  EXPECT_EQ(
      parse_cart_item(request_body(R"({"product_id":"p","quantity":"2"})"), true).errors.size(),
      1u);
}

TEST(CartRules, ViewPricesFromTheCatalogAndSkipsGoneProducts) {
  std::vector<CatalogProduct> products(2);
  products[0].product_id = "a";
  products[0].name = "A";
  products[0].price = 250;
  products[1].product_id = "b";
  products[1].name = "B";
  products[1].price = 1000;
  const auto v = cart_json("s", {{"a", 2}, {"gone", 1}, {"b", 1}}, products, 5);
  EXPECT_EQ(v.at("item_count").as_int64(), 3);
  EXPECT_EQ(v.at("subtotal").as_string(), "15.00");
  ASSERT_EQ(v.at("items").as_array().size(), 2u);
  EXPECT_EQ(v.at("items").as_array()[0].at("line_total").as_string(), "5.00");
  EXPECT_TRUE(cart_json("s", {}, {}, std::nullopt).at("updated_at").is_null());
}

TEST(Inventory, SetOrChangeStock) {
  using V = InventoryVerdict;
  EXPECT_EQ(apply_inventory_change(10, 2, {5, std::nullopt}),
            std::make_pair(std::int64_t{5}, V::ok));
  EXPECT_EQ(apply_inventory_change(10, 2, {std::nullopt, -3}),
            std::make_pair(std::int64_t{7}, V::ok));
  EXPECT_EQ(apply_inventory_change(10, 2, {std::nullopt, -11}).second, V::negative);
  EXPECT_EQ(apply_inventory_change(10, 2, {-1, std::nullopt}).second, V::negative);
  EXPECT_EQ(apply_inventory_change(10, 4, {3, std::nullopt}).second, V::below_reserved);
  EXPECT_EQ(apply_inventory_change(10, 4, {std::nullopt, -7}).second, V::below_reserved);
}

TEST(Inventory, ParsesExactlyOneOfStockOrDelta) {
  EXPECT_TRUE(parse_inventory_change(request_body(R"({"stock":3})")).errors.empty());
  EXPECT_EQ(parse_inventory_change(request_body(R"({"delta":-2})")).change.delta, -2);
  EXPECT_FALSE(parse_inventory_change(request_body(R"({"stock":3,"delta":1})")).errors.empty());
  EXPECT_FALSE(parse_inventory_change(request_body(R"({})")).errors.empty());
  EXPECT_FALSE(parse_inventory_change(request_body(R"({"stock":1.5})")).errors.empty());
}

TEST(CatalogValidation, NewProductNeedsItsFields) {
  using ::testing::UnorderedElementsAre;
  std::vector<std::string> fields;
  for (const auto& e : parse_new_product(request_body(R"({"name":""})")).errors)
    fields.push_back(e.field);
  EXPECT_THAT(fields, UnorderedElementsAre("name", "sku", "price", "category", "stock"));
  const auto ok = parse_new_product(request_body(
      R"({"product_id":"p-x","sku":"S","name":"N","price":"1.50","category":"toys","stock":4})"));
  EXPECT_TRUE(ok.errors.empty());
  EXPECT_EQ(ok.fields.price, 150);
  EXPECT_TRUE(parse_product_patch(request_body(R"({"price":2})")).errors.empty());
  EXPECT_FALSE(parse_product_patch(request_body(R"({"stock":-1})")).errors.empty());
  EXPECT_FALSE(parse_product_patch(request_body(R"({"category":"Not A Slug"})")).errors.empty());
}

TEST(CatalogValidation, Categories) {
  EXPECT_TRUE(
      parse_new_category(request_body(R"({"slug":"home-garden","name":"Home"})")).errors.empty());
  EXPECT_EQ(parse_new_category(request_body(R"({"slug":"Home","name":""})")).errors.size(), 2u);
  EXPECT_TRUE(is_valid_slug("a-1"));
  EXPECT_FALSE(is_valid_slug(""));
}

TEST(DemoCatalog, HasCategoriesAndStockedProducts) {
  const auto d = demo_catalog();
  EXPECT_GE(d.categories.size(), 4u);
  EXPECT_GE(d.products.size(), 24u);
  for (const auto& p : d.products) {
    EXPECT_TRUE(std::any_of(d.categories.begin(), d.categories.end(), [&](const auto& c) {
      return c.slug == p.category_slug;
    })) << p.product_id;
  }
}
