// The store contract: intake with idempotency, queued snapshots, batch apply with exactly-once
// effects, queries. Run against every store backend.
#include <gtest/gtest.h>

#include <boost/json/parse.hpp>

#include "backends.hpp"
#include "backends/memory/memory_cache.hpp"
#include "base/time.hpp"
#include "core/errors.hpp"
#include "service/order_service.hpp"

namespace orderflow::testing {
namespace {

using namespace std::chrono_literals;
namespace json = boost::json;

domain::ProductFields new_product(std::string id, std::string sku, std::string name,
                                  std::int64_t price, std::string category, std::int64_t stock) {
  domain::ProductFields f;
  f.product_id = std::move(id);
  f.sku = std::move(sku);
  f.name = std::move(name);
  f.price = price;
  f.category = std::move(category);
  f.stock = stock;
  return f;
}

template <typename Backend>
class StoreConformance : public ::testing::Test {
 protected:
  void SetUp() override {
    queue::QueueOptions o;
    o.visibility_timeout = 500ms;
    o.retry_delays = {50ms};
    o.poll_interval = 50ms;
    backend_ = std::make_unique<Backend>(o, io_);
    orders_ = std::make_unique<service::OrderService>(intake(), reads(), q(), cache_,
                                                      service::OrderServiceOptions{});
  }
  ports::Intake& intake() { return *backend_->ports().intake; }
  ports::OrderReads& reads() { return *backend_->ports().order_reads; }
  ports::BatchApplier& applier() { return *backend_->ports().batch_applier; }
  ports::Catalog& catalog() { return *backend_->ports().catalog; }
  queue::Queue& q() { return backend_->queue(); }
  template <typename T>
  T await(asio::awaitable<T> op) {
    return run(io_, std::move(op));
  }
  service::AcceptedOrder accept(const std::string& body,
                                std::optional<std::string> key = std::nullopt) {
    return await(orders_->accept(json::parse(body), std::move(key), std::nullopt));
  }
  // What an accept is refused with; nullopt when it is accepted.
  std::optional<core::ErrorKind> accept_error(const std::string& body,
                                              std::optional<std::string> key = std::nullopt) {
    try {
      accept(body, std::move(key));
      return std::nullopt;
    } catch (const core::Error& e) {
      return e.kind();
    }
  }
  ports::BatchResult process() {
    auto batch = await(q().receive(100, 0ms));
    return await(applier().apply_batch(std::move(batch), rules_));
  }

  domain::ProcessingRules rules_{*domain::Rate::parse("0.08"), [](const domain::Order& o) {
                                   return o.payment_method == "test_decline";
                                 }};
  asio::io_context io_;
  backends::NullCache cache_;
  std::unique_ptr<Backend> backend_;
  std::unique_ptr<service::OrderService> orders_;
};

using StoreConformanceBackends =
    ::testing::Types<SqliteBackend, PgBackend, PgRedisBackend, MysqlBackend, MysqlRedisBackend>;
TYPED_TEST_SUITE(StoreConformance, StoreConformanceBackends, BackendNames);

TYPED_TEST(StoreConformance, AcceptedOrderIsQueuedAndReadable) {
  const auto a = this->accept(R"({"customer_id":"c1","amount":"10.00"})");
  EXPECT_FALSE(a.replayed);
  const auto found = this->await(this->reads().find_order(a.order_id));
  EXPECT_FALSE(found.order);
  ASSERT_TRUE(found.queued);
  EXPECT_EQ(found.queued->request.customer_id, "c1");
  EXPECT_EQ(found.queued->accepted_at, a.created_at);
  EXPECT_EQ(this->await(this->q().stats()).visible, 1);
  EXPECT_TRUE(this->await(this->reads().order_events(a.order_id)).has_value());
  EXPECT_FALSE(this->await(this->reads().order_events("never")).has_value());
}

TYPED_TEST(StoreConformance, IdempotencyKeyReplaysOrConflicts) {
  const auto body = R"({"amount":"10.00"})";
  const auto first = this->accept(body, "key-1");
  const auto again = this->accept(body, "key-1");
  EXPECT_TRUE(again.replayed);
  EXPECT_EQ(again.order_id, first.order_id);
  EXPECT_EQ(again.message_id, first.message_id);
  EXPECT_EQ(again.created_at, first.created_at);
  EXPECT_EQ(this->accept_error(R"({"amount":"11.00"})", "key-1"),
            core::ErrorKind::idempotency_conflict);
  EXPECT_EQ(this->await(this->q().stats()).sent, 1);
  // Without a key, identical requests are separate orders.
  EXPECT_NE(this->accept(body).order_id, this->accept(body).order_id);
}

TYPED_TEST(StoreConformance, KeyBindingNamesTheOrderAndItsRequest) {
  const auto first = this->accept(R"({"customer_id":"c9","amount":"10.00"})", "key-9");
  this->process();  // still bound once the order is processed
  const auto bound = this->await(this->intake().find_key_binding("key-9", 0));
  ASSERT_TRUE(bound);
  EXPECT_EQ(bound->accepted.order_id, first.order_id);
  EXPECT_EQ(bound->accepted.message_id, first.message_id);
  EXPECT_EQ(bound->accepted.created_at, first.created_at);
  EXPECT_EQ(bound->request.customer_id, "c9");
  EXPECT_FALSE(this->await(this->intake().find_key_binding("key-9", first.created_at)))
      << "bound before `since`: outside the window";
  EXPECT_FALSE(this->await(this->intake().find_key_binding("never-used", 0)));
}

TYPED_TEST(StoreConformance, ClientOrderIdIsIdempotent) {
  const auto body = R"({"order_id":"ord-7","amount":"10.00"})";
  const auto first = this->accept(body);
  EXPECT_EQ(first.order_id, "ord-7");
  this->process();
  const auto again = this->accept(body);  // even after processing
  EXPECT_TRUE(again.replayed);
  EXPECT_EQ(again.message_id, first.message_id);
  EXPECT_EQ(this->accept_error(R"({"order_id":"ord-7","amount":"99.00"})"),
            core::ErrorKind::conflict);
  EXPECT_EQ(this->accept_error(body, "fresh-key"), core::ErrorKind::conflict)
      << "the id names an existing order";
}

TYPED_TEST(StoreConformance, BatchIsAppliedOnceAndDeleted) {
  const auto a = this->accept(R"({"items":[{"name":"x","unit_price":"2.50","quantity":4}]})");
  const auto b = this->accept(R"({"amount":"1.00","payment_method":"test_decline"})");
  const auto r = this->process();
  EXPECT_EQ(r.applied.size(), 2u);
  EXPECT_TRUE(r.failed.empty());
  const auto oa = this->await(this->reads().find_order(a.order_id)).order;
  ASSERT_TRUE(oa);
  EXPECT_EQ(oa->status, domain::OrderStatus::confirmed);
  EXPECT_EQ(oa->total, 1080);
  const auto ob = this->await(this->reads().find_order(b.order_id)).order;
  ASSERT_TRUE(ob);
  EXPECT_EQ(ob->failure_reason, "payment_declined");
  const auto s = this->await(this->q().stats());
  EXPECT_EQ(s.visible + s.in_flight + s.delayed, 0);
  EXPECT_EQ(s.deleted, 2);
  const auto events = this->await(this->reads().order_events(a.order_id));
  ASSERT_TRUE(events);
  ASSERT_FALSE(events->empty());
  EXPECT_EQ(events->front().type, "order.accepted");
  EXPECT_EQ(events->front().seq, 1);
  EXPECT_EQ(events->back().type, "order.confirmed");
}

TYPED_TEST(StoreConformance, StaleDeliveryIsNotApplied) {
  const auto a = this->accept(R"({"amount":"1.00"})");
  auto first = this->await(this->q().receive(10, 0ms));
  sleep_ms(700);  // visibility expires; the message is delivered again
  auto second = this->await(this->q().receive(10, 0ms));
  ASSERT_EQ(second.size(), 1u);
  const auto stale = this->await(this->applier().apply_batch(first, this->rules_));
  EXPECT_EQ(stale.stale.size(), 1u);
  EXPECT_TRUE(stale.applied.empty());
  EXPECT_FALSE(this->await(this->reads().find_order(a.order_id)).order);
  const auto fresh = this->await(this->applier().apply_batch(second, this->rules_));
  EXPECT_EQ(fresh.applied.size(), 1u);
  const auto events = this->await(this->reads().order_events(a.order_id));
  EXPECT_EQ(std::count_if(events->begin(), events->end(),
                          [](const auto& e) { return e.type == "order.accepted"; }),
            1);
}

TYPED_TEST(StoreConformance, PoisonMessageFailsAloneAndIsRetried) {
  std::vector<queue::OutgoingMessage> poison;
  poison.push_back({"bad-group", std::nullopt, "{not an order message"});
  this->await(this->q().send(std::move(poison)));
  const auto good = this->accept(R"({"amount":"3.00"})");
  const auto r = this->process();
  EXPECT_EQ(r.applied.size(), 1u);
  ASSERT_EQ(r.failed.size(), 1u);
  EXPECT_TRUE(this->await(this->reads().find_order(good.order_id)).order);
  const auto s = this->await(this->q().stats());
  EXPECT_EQ(s.retried, 1);
  EXPECT_EQ(s.delayed, 1);
}

TYPED_TEST(StoreConformance, StatusChangesApplyInOrder) {
  const auto a = this->accept(R"({"amount":"5.00"})");
  this->process();
  // Both are allowed from confirmed; applied in order, the cancel then meets a shipped order.
  this->await(this->orders_->request_status(a.order_id, json::value("shipped"), "r1"));
  this->await(this->orders_->request_status(a.order_id, json::value("cancelled"), "r2"));
  this->process();
  this->process();
  const auto o = this->await(this->reads().find_order(a.order_id)).order;
  ASSERT_TRUE(o);
  EXPECT_EQ(o->status, domain::OrderStatus::shipped);
  EXPECT_EQ(o->version, 2);
  const auto events = this->await(this->reads().order_events(a.order_id));
  EXPECT_EQ(events->back().type, "order.transition_rejected");
}

TYPED_TEST(StoreConformance, DeletedOrderIsGoneButItsEventsRemain) {
  const auto a = this->accept(R"({"amount":"5.00"})");
  this->await(this->orders_->request_delete(a.order_id, "r1"));
  this->process();
  this->process();
  const auto found = this->await(this->reads().find_order(a.order_id));
  EXPECT_FALSE(found.order);
  EXPECT_FALSE(found.queued);
  const auto events = this->await(this->reads().order_events(a.order_id));
  ASSERT_TRUE(events);
  EXPECT_EQ(events->back().type, "order.deleted");
}

TYPED_TEST(StoreConformance, ListsWithFiltersAndPages) {
  for (int i = 0; i < 5; ++i)
    this->accept(R"({"customer_id":")" + std::string(i < 3 ? "alice" : "bob") +
                 R"(","amount":"1.00"})");
  this->accept(R"({"customer_id":"alice","amount":"1.00","payment_method":"test_decline"})");
  this->process();
  ports::OrderFilter f;
  f.customer_id = "alice";
  f.limit = 2;
  auto page = this->await(this->reads().list_orders(f));
  EXPECT_EQ(page.total, 4);
  EXPECT_EQ(page.data.size(), 2u);
  EXPECT_GE(page.data[0].created_at, page.data[1].created_at) << "newest first by default";
  f.status = "failed";
  EXPECT_EQ(this->await(this->reads().list_orders(f)).total, 1);
  ports::OrderFilter later;
  later.created_after = now_ms() + 60'000;
  EXPECT_EQ(this->await(this->reads().list_orders(later)).total, 0);
  const auto totals = this->await(this->reads().order_totals());
  EXPECT_EQ(totals.total, 6);
  EXPECT_EQ(totals.by_status.at("confirmed"), 5);
  EXPECT_EQ(totals.revenue, 5 * 108);
}

// Keyset pages: walking from the first page by cursor visits the whole list once, in the list's
// order, whichever the direction (orders accepted in one millisecond are ordered by id).
TYPED_TEST(StoreConformance, KeysetPagesVisitTheListOnceInOrder) {
  for (int i = 0; i < 7; ++i) this->accept(R"({"amount":"1.00"})");
  this->process();
  for (const bool oldest_first : {false, true}) {
    ports::OrderFilter all;
    all.oldest_first = oldest_first;
    std::vector<std::string> expected;
    for (const auto& o : this->await(this->reads().list_orders(all)).data)
      expected.push_back(o.order_id);
    ASSERT_EQ(expected.size(), 7u);

    ports::OrderFilter f;
    f.oldest_first = oldest_first;
    f.limit = 3;
    std::vector<std::string> walked;
    std::vector<bool> has_more;
    for (int pages = 0; pages < 5; ++pages) {
      const auto page = this->await(this->reads().list_orders(f));
      for (const auto& o : page.data) walked.push_back(o.order_id);
      has_more.push_back(page.has_more);
      EXPECT_EQ(page.total, f.with_total ? 7 : 0) << "counted only when asked";
      if (!page.has_more) break;
      f.after = ports::OrderKey{page.data.back().created_at, page.data.back().order_id};
      f.with_total = pages == 1;
    }
    EXPECT_EQ(walked, expected) << (oldest_first ? "oldest first" : "newest first");
    EXPECT_EQ(has_more, (std::vector<bool>{true, true, false}));
  }
}

TYPED_TEST(StoreConformance, CatalogWritesAndQueries) {
  auto& st = this->catalog();
  EXPECT_TRUE(this->await(st.create_category({"toys", "Toys", 0})));
  EXPECT_FALSE(this->await(st.create_category({"toys", "Again", 0})));
  auto f = new_product("p1", "SKU-1", "Red Kite", 1999, "toys", 5);
  EXPECT_EQ(this->await(st.create_product(f)).outcome, ports::WriteOutcome::ok);
  EXPECT_EQ(this->await(st.create_product(f)).outcome, ports::WriteOutcome::duplicate);
  f.product_id = "p2";
  f.sku = "SKU-2";
  f.name = "Blue Ball";
  f.price = 500;
  f.stock = 0;
  EXPECT_EQ(this->await(st.create_product(f)).outcome, ports::WriteOutcome::ok);
  f.product_id = "p3";
  f.sku = "SKU-3";
  f.category = "nope";
  EXPECT_EQ(this->await(st.create_product(f)).outcome, ports::WriteOutcome::unknown_category);

  ports::ProductFilter q;
  q.q = "KITE";
  EXPECT_EQ(this->await(st.list_products(q)).total, 1);
  ports::ProductFilter stocked;
  stocked.in_stock = true;
  EXPECT_EQ(this->await(st.list_products(stocked)).total, 1);
  ports::ProductFilter cheap;
  cheap.max_price = 500;
  cheap.sort = domain::ProductSort::price_desc;
  EXPECT_EQ(this->await(st.list_products(cheap)).data.at(0).product_id, "p2");
  const auto cats = this->await(st.list_categories());
  ASSERT_EQ(cats.size(), 1u);
  EXPECT_EQ(cats[0].product_count, 2);

  domain::ProductFields patch;
  patch.sku = "SKU-2";
  EXPECT_EQ(this->await(st.update_product("p1", patch)).outcome, ports::WriteOutcome::duplicate);
  patch = {};
  patch.price = 2500;
  EXPECT_EQ(this->await(st.update_product("p1", patch)).product->price, 2500);
  EXPECT_EQ(this->await(st.update_product("zz", patch)).outcome, ports::WriteOutcome::not_found);
  EXPECT_EQ(this->await(st.change_inventory("p1", {std::nullopt, -6})).outcome,
            ports::WriteOutcome::negative);
  EXPECT_EQ(this->await(st.change_inventory("p1", {std::nullopt, 3})).product->stock, 8);
  EXPECT_TRUE(this->await(st.delete_product("p2")));
  EXPECT_FALSE(this->await(st.delete_product("p2")));
}

TYPED_TEST(StoreConformance, DemoCatalogLoadsOnlyIntoAnEmptyCatalog) {
  EXPECT_TRUE(this->await(this->catalog().load_demo_catalog(domain::demo_catalog())));
  EXPECT_FALSE(this->await(this->catalog().load_demo_catalog(domain::demo_catalog())));
  EXPECT_EQ(this->await(this->catalog().list_products({})).total,
            static_cast<std::int64_t>(domain::demo_catalog().products.size()));
}

TYPED_TEST(StoreConformance, WorkerReservesAgainstTheCatalog) {
  this->await(this->catalog().create_category({"c", "C", 0}));
  this->await(this->catalog().create_product(new_product("p", "S", "P", 100, "c", 2)));
  for (int i = 0; i < 3; ++i) this->accept(R"({"items":[{"product_id":"p","quantity":1}]})");
  const auto r = this->process();
  EXPECT_EQ(r.changed_products, std::vector<std::string>{"p"});
  const auto p = this->await(this->catalog().find_products({"p"})).at(0);
  EXPECT_EQ(p.stock, 0);
  EXPECT_EQ(p.reserved, 0);
  ports::OrderFilter failed;
  failed.status = "failed";
  EXPECT_EQ(this->await(this->reads().list_orders(failed)).total, 1);
}

}  // namespace
}  // namespace orderflow::testing
