#include "core/domain/processing.hpp"
#include "request_body.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <boost/json/parse.hpp>

using namespace orderflow::domain;
namespace json = boost::json;
using ::testing::ElementsAre;

namespace {

ProcessingRules rules(bool decline_all = false) {
  return {*Rate::parse("0.08"), [decline_all](const Order& o) {
            return decline_all || o.payment_method == "test_decline";
          }};
}

CreateOrder create(const std::string& id, const std::string& body) {
  auto p = parse_order_request(request_body(body), "USD");
  EXPECT_TRUE(p.errors.empty());
  return CreateOrder{id, 1000, p.request};
}

struct Fixture : ::testing::Test {
  BatchState state;
  void SetUp() override {
    state.products["p1"] = Product{"p1", "SKU1", "Widget", 1250, 10, 0};
    state.products["p2"] = Product{"p2", "SKU2", "Gadget", 500, 1, 0};
  }
  void apply(const OrderMessage& m, const ProcessingRules& r = rules()) {
    state.orders.try_emplace(message_order_id(m));
    apply_message(state, m, r, 2000);
  }
  std::vector<std::string> event_types(const std::string& order_id) const {
    std::vector<std::string> out;
    for (const auto& e : state.events)
      if (e.order_id == order_id) out.push_back(e.type);
    return out;
  }
  const Order& order(const std::string& id) { return *state.orders.at(id); }
};

}  // namespace

using Processing = Fixture;

TEST_F(Processing, AdHocOrderIsConfirmedWithTax) {
  apply(create("o1", R"({"items":[{"name":"Wrap","unit_price":"3.50","quantity":2}]})"));
  const auto& o = order("o1");
  EXPECT_EQ(o.status, OrderStatus::confirmed);
  EXPECT_EQ(o.subtotal, 700);
  EXPECT_EQ(o.tax, 56);
  EXPECT_EQ(o.total, 756);
  EXPECT_EQ(o.created_at, 1000);
  EXPECT_THAT(event_types("o1"), ElementsAre("order.accepted", "order.pending", "payment.succeeded",
                                             "order.confirmed"));
  EXPECT_EQ(state.intake_updates.at("o1"), IntakeState::applied);
}

TEST_F(Processing, AmountOrderUsesTheAmount) {
  apply(create("o1", R"({"amount":"100.00"})"));
  EXPECT_EQ(order("o1").subtotal, 10000);
  EXPECT_EQ(order("o1").total, 10800);
}

TEST_F(Processing, CatalogLinesTakeTheCurrentPriceAndDecrementStock) {
  apply(create("o1", R"({"items":[{"product_id":"p1","quantity":3}]})"));
  const auto& o = order("o1");
  EXPECT_EQ(o.status, OrderStatus::confirmed);
  EXPECT_EQ(o.items.at(0).unit_price, 1250);
  EXPECT_EQ(o.items.at(0).sku, "SKU1");
  EXPECT_EQ(o.subtotal, 3750);
  EXPECT_EQ(state.products["p1"].stock, 7);
  EXPECT_EQ(state.products["p1"].reserved, 0);
  EXPECT_THAT(event_types("o1"),
              ElementsAre("order.accepted", "order.pending", "inventory.reserved",
                          "payment.succeeded", "order.confirmed"));
}

// An order whose lines cannot all be reserved fails and leaves every product as it was.
TEST_F(Processing, ReservationIsAllOrNothing) {
  const std::pair<const char*, const char*> cases[] = {
      {R"([{"product_id":"nope","quantity":1},{"product_id":"p1","quantity":1}])",
       "unknown_product"},
      {R"([{"product_id":"p1","quantity":1},{"product_id":"p2","quantity":2}])", "out_of_stock"},
      // Lines of one product are added up before reserving.
      {R"([{"product_id":"p2","quantity":1},{"product_id":"p2","quantity":1}])", "out_of_stock"},
  };
  int n = 0;
  for (const auto& [items, reason] : cases) {
    const std::string id = "o" + std::to_string(++n);
    apply(create(id, std::string(R"({"items":)") + items + "}"));
    EXPECT_EQ(order(id).status, OrderStatus::failed) << items;
    EXPECT_EQ(order(id).failure_reason, reason) << items;
    for (const auto& [product_id, stock] : {std::pair{"p1", 10}, std::pair{"p2", 1}}) {
      EXPECT_EQ(state.products[product_id].stock, stock) << items;
      EXPECT_EQ(state.products[product_id].reserved, 0) << items;
    }
  }
}

TEST_F(Processing, DeclinedPaymentReleasesTheReservation) {
  apply(create("o1",
               R"({"payment_method":"test_decline","items":[{"product_id":"p1","quantity":4}]})"));
  EXPECT_EQ(order("o1").failure_reason, "payment_declined");
  EXPECT_EQ(state.products["p1"].stock, 10);
  EXPECT_EQ(state.products["p1"].reserved, 0);
  EXPECT_THAT(event_types("o1"),
              ElementsAre("order.accepted", "order.pending", "inventory.reserved", "payment.failed",
                          "inventory.released", "order.failed"));
}

TEST_F(Processing, CancellingAConfirmedOrderRestoresStock) {
  apply(create("o1", R"({"items":[{"product_id":"p1","quantity":4}]})"));
  apply(SetStatus{"o1", OrderStatus::cancelled, 3000, "r1"});
  EXPECT_EQ(order("o1").status, OrderStatus::cancelled);
  EXPECT_EQ(order("o1").version, 2);
  EXPECT_EQ(state.products["p1"].stock, 10);
  EXPECT_THAT(
      event_types("o1"),
      ::testing::IsSupersetOf({"order.status_changed", "inventory.released", "order.cancelled"}));
}

TEST_F(Processing, RefusedTransitionIsRecordedNotApplied) {
  apply(create("o1", R"({"amount":1})"));
  apply(SetStatus{"o1", OrderStatus::delivered, 3000, "r1"});
  EXPECT_EQ(order("o1").status, OrderStatus::confirmed);
  EXPECT_EQ(event_types("o1").back(), "order.transition_rejected");
  apply(SetStatus{"o1", OrderStatus::shipped, 3000, "r2"});
  apply(SetStatus{"o1", OrderStatus::delivered, 3000, "r3"});
  EXPECT_EQ(order("o1").status, OrderStatus::delivered);
}

TEST_F(Processing, DeleteRemovesTheOrderAndReleasesStock) {
  apply(create("o1", R"({"items":[{"product_id":"p1","quantity":2}]})"));
  apply(DeleteOrder{"o1", 3000, "r1"});
  EXPECT_FALSE(state.orders.at("o1"));
  EXPECT_TRUE(state.changed_orders.count("o1"));
  EXPECT_EQ(state.products["p1"].stock, 10);
  EXPECT_EQ(state.intake_updates.at("o1"), IntakeState::deleted);
  EXPECT_EQ(event_types("o1").back(), "order.deleted");
}

TEST_F(Processing, ACreateAppliedTwiceChangesNothingTheSecondTime) {
  const auto m = create("o1", R"({"items":[{"product_id":"p1","quantity":2}]})");
  apply(m);
  const auto events = state.events.size();
  apply(m);
  EXPECT_EQ(state.events.size(), events);
  EXPECT_EQ(state.products["p1"].stock, 8);
}

TEST(Messages, EncodeDecodeRoundTrip) {
  const auto c = create("o1", R"({"amount":"5.00","customer_id":"c"})");
  const auto back = std::get<CreateOrder>(decode_message(encode_message(c)));
  EXPECT_EQ(back.order_id, "o1");
  EXPECT_EQ(back.request.amount, 500);
  const auto s = std::get<SetStatus>(
      decode_message(encode_message(SetStatus{"o2", OrderStatus::shipped, 5, "r"})));
  EXPECT_EQ(s.status, OrderStatus::shipped);
  EXPECT_THROW(decode_message("not json"), std::invalid_argument);
  EXPECT_THROW(decode_message(R"({"type":"order.create"})"), std::invalid_argument);
  EXPECT_THROW(decode_message(R"({"type":"x","order_id":"a"})"), std::invalid_argument);
}

TEST(ApplyAll, AMessageThatThrowsIsSetAsideWithoutItsPartialChanges) {
  BatchState snapshot;
  snapshot.products["p1"] = Product{"p1", "S", "W", 100, 5, 0};
  for (const auto* id : {"a", "boom", "c"}) snapshot.orders[id] = std::nullopt;
  // The rules throw for one order after its stock was reserved: that must leave no trace.
  ProcessingRules rules{*Rate::parse("0"), [](const Order& o) -> bool {
                          if (o.order_id == "boom")
                            throw std::runtime_error("payment provider fell over");
                          return false;
                        }};
  std::vector<OrderMessage> messages{
      create("a", R"({"items":[{"product_id":"p1","quantity":1}]})"),
      create("boom", R"({"items":[{"product_id":"p1","quantity":2}]})"),
      create("c", R"({"items":[{"product_id":"p1","quantity":1}]})")};
  const auto out = apply_all(snapshot, messages, rules, 5);
  ASSERT_EQ(out.failed.size(), 1u);
  EXPECT_EQ(out.failed[0].first, 1u);
  EXPECT_EQ(out.failed[0].second, "payment provider fell over");
  EXPECT_FALSE(out.state.orders.at("boom"));
  EXPECT_TRUE(std::none_of(out.state.events.begin(), out.state.events.end(),
                           [](const EventRecord& e) { return e.order_id == "boom"; }));
  EXPECT_EQ(out.state.products.at("p1").stock, 3) << "only a and c took stock";
  EXPECT_EQ(out.state.products.at("p1").reserved, 0);
}
