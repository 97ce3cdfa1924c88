#include "core/domain/order.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <boost/json/parse.hpp>

#include "request_body.hpp"
#include "service/order_service.hpp"

using namespace orderflow::domain;
namespace json = boost::json;
using S = OrderStatus;

TEST(Transitions, FollowTheContractTable) {
  const std::vector<std::pair<S, S>> allowed = {{S::pending, S::confirmed},
                                                {S::pending, S::cancelled},
                                                {S::confirmed, S::shipped},
                                                {S::confirmed, S::cancelled},
                                                {S::shipped, S::delivered}};
  for (int f = 0; f <= static_cast<int>(S::failed); ++f)
    for (int t = 0; t <= static_cast<int>(S::failed); ++t) {
      const auto from = static_cast<S>(f), to = static_cast<S>(t);
      const bool expected =
          std::find(allowed.begin(), allowed.end(), std::make_pair(from, to)) != allowed.end();
      EXPECT_EQ(is_allowed_transition(from, to), expected)
          << to_string(from) << "→" << to_string(to);
    }
}

TEST(Transitions, QueuedOrdersDeferToTheWorker) {
  using orderflow::service::may_request_transition;
  EXPECT_TRUE(may_request_transition(S::queued, S::cancelled));
  EXPECT_TRUE(may_request_transition(S::queued, S::shipped));
  EXPECT_FALSE(may_request_transition(S::queued, S::delivered));
  EXPECT_FALSE(may_request_transition(S::queued, S::failed));
  EXPECT_FALSE(may_request_transition(S::delivered, S::cancelled));
}

TEST(Statuses, RoundTrip) {
  for (auto name :
       {"queued", "pending", "confirmed", "shipped", "delivered", "cancelled", "failed"})
    EXPECT_EQ(to_string(*parse_status(name)), name);
  EXPECT_FALSE(parse_status("Shipped"));
}

namespace {
std::vector<std::string> fields(const std::string& body) {
  std::vector<std::string> out;
  for (const auto& e : parse_order_request(request_body(body), "USD").errors)
    out.push_back(e.field);
  return out;
}
}  // namespace

TEST(Validation, AcceptsACompleteOrder) {
  auto p = parse_order_request(request_body(R"({
    "order_id": "ord-1", "customer_id": "c-1", "customer_name": "Ada",
    "customer_email": "ada@example.com",
    "items": [{"product_id": "p-1", "quantity": 2},
              {"name": "Gift wrap", "unit_price": "3.50", "quantity": 1, "sku": "GW"}],
    "currency": "EUR", "payment_method": "card", "shipping_address": {"city": "Paris"},
    "unknown_field": 1})"),
                               "USD");
  ASSERT_TRUE(p.errors.empty());
  EXPECT_EQ(p.request.order_id, "ord-1");
  EXPECT_EQ(p.request.currency, "EUR");
  ASSERT_EQ(p.request.items.size(), 2u);
  EXPECT_EQ(p.request.items[0].product_id, "p-1");
  EXPECT_EQ(p.request.items[1].unit_price, 350);
  EXPECT_EQ(p.request.items[1].sku, "GW");
}

TEST(Validation, DefaultsCurrencyAndPaymentMethod) {
  auto p = parse_order_request(request_body(R"({"amount": 100.00})"), "GBP");
  ASSERT_TRUE(p.errors.empty());
  EXPECT_EQ(p.request.amount, 10000);
  EXPECT_EQ(p.request.currency, "GBP");
  EXPECT_EQ(p.request.payment_method, "card");
}

TEST(Validation, ReportsFieldPaths) {
  using ::testing::ElementsAre;
  EXPECT_THAT(fields(R"({"items":[{"product_id":"p","quantity":0}]})"),
              ElementsAre("items[0].quantity"));
  EXPECT_THAT(
      fields(
          R"({"items":[{"product_id":"p","quantity":1},{"name":"x","quantity":2.5,"unit_price":"1.001"}]})"),
      ElementsAre("items[1].quantity", "items[1].unit_price"));
  EXPECT_THAT(fields(R"({"items":[{"quantity":1001,"name":"x"}]})"),
              ElementsAre("items[0].quantity", "items[0].unit_price"));
  EXPECT_THAT(fields(R"({"items":[{"quantity":1,"product_id":"bad id!"}]})"),
              ElementsAre("items[0].product_id"));
  EXPECT_THAT(fields(R"({"items":[{"quantity":1,"product_id":"p","name":"x","unit_price":1}]})"),
              ElementsAre("items[0]"));
  EXPECT_THAT(fields(R"({"items":[]})"), ElementsAre("items"));
  EXPECT_THAT(fields(R"({})"), ElementsAre("items"));
  EXPECT_THAT(fields(R"({"amount":1,"items":[{"product_id":"p","quantity":1}]})"),
              ElementsAre("amount"));
  EXPECT_THAT(fields(R"({"amount":-1})"), ElementsAre("amount"));
  EXPECT_THAT(fields(R"({"amount":1,"customer_email":"nope"})"), ElementsAre("customer_email"));
  EXPECT_THAT(fields(R"({"amount":1,"currency":"usd"})"), ElementsAre("currency"));
  EXPECT_THAT(fields(R"({"amount":1,"order_id":"has space"})"), ElementsAre("order_id"));
  EXPECT_THAT(fields(R"({"amount":1,"shipping_address":"street"})"),
              ElementsAre("shipping_address"));
  EXPECT_THAT(fields(R"({"amount":1,"customer_id":42})"), ElementsAre("customer_id"));
  EXPECT_THAT(fields(R"([1,2])"), ElementsAre(""));
}

TEST(Validation, ItemLimit) {
  std::string items;
  for (int i = 0; i < 101; ++i)
    items += std::string(i ? "," : "") + R"({"product_id":"p","quantity":1})";
  EXPECT_THAT(fields(R"({"items":[)" + items + "]}"), ::testing::ElementsAre("items"));
}

TEST(MessageForm, RoundTripsARequest) {
  auto p = parse_order_request(
      request_body(
          R"({"customer_id":"c","items":[{"product_id":"p","quantity":3},{"name":"n","unit_price":"1.25","quantity":2,"sku":"S"}],"shipping_address":{"a":1}})"),
      "USD");
  ASSERT_TRUE(p.errors.empty());
  const auto back = order_request_from_message(to_message_json(p.request));
  EXPECT_EQ(to_message_json(back), to_message_json(p.request));
}
