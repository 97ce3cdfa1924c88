// QUEUE_BACKEND=redis beyond the store contract: the inbox makes a redelivered message a no-op.
#include <gtest/gtest.h>

#include <boost/json/parse.hpp>

#include "../conformance/backends.hpp"
#include "backends/memory/memory_cache.hpp"
#include "backends/postgres/pg_batch_applier.hpp"
#include "core/errors.hpp"
#include "service/order_service.hpp"

namespace orderflow::testing {
namespace {

using namespace std::chrono_literals;

TEST(RedisIntake, MessageRedeliveredAfterALostDeletionIsAppliedOnce) {
  asio::io_context io;
  queue::QueueOptions o;
  o.visibility_timeout = 300ms;
  PgRedisBackend backend(o, io);
  backends::NullCache cache;
  service::OrderService orders(*backend.ports().intake, *backend.ports().order_reads,
                               backend.queue(), cache, {});
  const domain::ProcessingRules rules{*domain::Rate::parse("0.08"),
                                      [](const domain::Order&) { return false; }};
  const auto accepted = run(
      io, orders.accept(boost::json::parse(R"({"amount":"5.00"})"), std::nullopt, std::nullopt));
  run(io,
      backend.ports().batch_applier->apply_batch(run(io, backend.queue().receive(10, 0ms)), rules));
  // A cancellation, unlike a create, is not idempotent by itself: applied twice, the second
  // would be rejected as a transition from cancelled.
  run(io, orders.request_status(accepted.order_id, boost::json::value("cancelled"), "req-1"));

  // The batch commits in the database, and the process dies before Redis hears of it.
  auto first = run(io, backend.queue().receive(10, 0ms));
  ASSERT_EQ(first.size(), 1u);
  // (The database's inbox applier, which the Redis applier applies batches with.)
  const auto pool = backend.place().database.migrated_pool();
  backends::PgDatabase database(*pool, nullptr);
  const auto inbox = backends::make_pg_inbox_applier(database, false);
  const auto committed = run(io, inbox->apply_batch(first, rules));
  EXPECT_EQ(committed.applied.size(), 1u);

  sleep_ms(400);
  auto again = run(io, backend.queue().receive(10, 0ms));
  ASSERT_EQ(again.size(), 1u) << "redelivered after the visibility timeout";
  EXPECT_EQ(again[0].receive_count, 2);
  const auto second = run(io, backend.ports().batch_applier->apply_batch(again, rules));
  EXPECT_TRUE(second.applied.empty());
  EXPECT_EQ(second.already_applied, std::vector<std::string>{again[0].message_id});

  const auto events = run(io, backend.ports().order_reads->order_events(accepted.order_id));
  ASSERT_TRUE(events);
  const auto count = [&](const char* type) {
    return std::count_if(events->begin(), events->end(),
                         [&](const auto& e) { return e.type == type; });
  };
  EXPECT_EQ(count("order.status_changed"), 1);
  EXPECT_EQ(count("order.transition_rejected"), 0);
  const auto stats = run(io, backend.queue().stats());
  EXPECT_EQ(stats.visible + stats.in_flight + stats.delayed, 0) << "deleted the second time";
}

TEST(RedisIntake, ClientOrderIdKnownToTheDatabaseIsRefused) {
  asio::io_context io;
  PgRedisBackend backend(queue::QueueOptions{}, io);
  backends::NullCache cache;
  service::OrderService orders(*backend.ports().intake, *backend.ports().order_reads,
                               backend.queue(), cache, {});
  const auto body = boost::json::parse(R"({"order_id":"ord-1","amount":"5.00"})");
  run(io, orders.accept(body, std::nullopt, std::nullopt));
  const domain::ProcessingRules rules{*domain::Rate::parse("0.08"),
                                      [](const domain::Order&) { return false; }};
  run(io,
      backend.ports().batch_applier->apply_batch(run(io, backend.queue().receive(10, 0ms)), rules));
  // The intake record expires after the idempotency window; the database still knows the id.
  redis::Client client(io.get_executor(), redis_from_env());
  run(io, client.command({"DEL", backend.place().key_prefix + "q:{orders}:in:ord-1"}));
  EXPECT_THROW(run(io, orders.accept(body, std::nullopt, std::nullopt)), core::Error);
}

}  // namespace
}  // namespace orderflow::testing
