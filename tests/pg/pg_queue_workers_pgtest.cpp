// Several consumers on one PostgreSQL queue (as several worker processes would be): each
// message is delivered once and every group in order, while groups proceed in parallel.
#include <gtest/gtest.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <map>

#include "../conformance/harness.hpp"
#include "backends/postgres/pg_queue.hpp"
#include "backends/postgres/pg_schema.hpp"
#include "base/ids.hpp"

namespace orderflow::testing {
namespace {

using namespace std::chrono_literals;

TEST(PgQueueWorkers, ShareTheWorkOnceEachAndInGroupOrder) {
  const auto url = service_url("DATABASE_URL");
  asio::io_context io;
  const auto name = "workers-" + uuid_v7();
  queue::QueueOptions options;
  options.poll_interval = 20ms;
  // Separate pools stand for separate processes: no shared connection, no shared notifier.
  pg::Pool producer_pool(io.get_executor(), {url, 2});
  run(io, backends::migrate_postgres(producer_pool));
  backends::PgQueue producer(producer_pool, options, name);
  constexpr int kGroups = 40, kPerGroup = 10;
  std::vector<queue::OutgoingMessage> batch;
  for (int i = 0; i < kPerGroup; ++i)
    for (int g = 0; g < kGroups; ++g)
      batch.push_back(
          {"g" + std::to_string(g), std::nullopt, std::to_string(g) + ":" + std::to_string(i)});
  run(io, producer.send(std::move(batch)));

  std::vector<std::unique_ptr<pg::Pool>> pools;
  std::vector<std::unique_ptr<backends::PgQueue>> consumers;
  for (int w = 0; w < 3; ++w) {
    pools.push_back(std::make_unique<pg::Pool>(io.get_executor(), pg::PoolOptions{url, 2}));
    consumers.push_back(std::make_unique<backends::PgQueue>(*pools.back(), options, name));
  }
  std::map<int, std::vector<int>> seen;  // group → indexes in delivery order
  std::map<int, int> per_consumer;
  int delivered = 0, finished = 0;
  for (int w = 0; w < 3; ++w)
    asio::co_spawn(
        io,
        [&, w]() -> asio::awaitable<void> {
          while (delivered < kGroups * kPerGroup) {
            auto got = co_await consumers[w]->receive(7, 200ms);
            for (const auto& m : got) {
              const auto colon = m.body.find(':');
              seen[std::stoi(m.body.substr(0, colon))].push_back(
                  std::stoi(m.body.substr(colon + 1)));
              ++per_consumer[w];
              ++delivered;
              EXPECT_TRUE(co_await consumers[w]->remove(m));
            }
          }
          // LISTEN connections keep the context busy: stop it when every consumer is done.
          if (++finished == 3) io.stop();
        },
        asio::detached);
  io.restart();
  io.run_for(60s);
  EXPECT_EQ(delivered, kGroups * kPerGroup);
  std::vector<int> in_order(kPerGroup);
  for (int i = 0; i < kPerGroup; ++i) in_order[i] = i;
  for (int g = 0; g < kGroups; ++g) EXPECT_EQ(seen[g], in_order) << "group " << g;
  EXPECT_EQ(per_consumer.size(), 3u) << "every consumer took part";
  const auto stats = run(io, producer.stats());
  EXPECT_EQ(stats.visible + stats.in_flight + stats.delayed, 0);
  EXPECT_EQ(stats.deleted, kGroups * kPerGroup);
}

}  // namespace
}  // namespace orderflow::testing

namespace orderflow::testing {
namespace {

TEST(PgQueueWorkers, ASendWakesAReceiverInAnotherProcess) {
  const auto url = service_url("DATABASE_URL");
  asio::io_context io;
  const auto name = "wake-" + uuid_v7();
  queue::QueueOptions options;
  options.poll_interval = std::chrono::seconds(10);  // only a NOTIFY can end the wait early
  pg::Pool sender_pool(io.get_executor(), {url, 1}), receiver_pool(io.get_executor(), {url, 1});
  run(io, backends::migrate_postgres(sender_pool));
  backends::PgQueue sender(sender_pool, options, name), receiver(receiver_pool, options, name);
  std::optional<std::chrono::milliseconds> waited;
  asio::co_spawn(
      io,
      [&]() -> asio::awaitable<void> {
        const auto t0 = std::chrono::steady_clock::now();
        auto got = co_await receiver.receive(10, std::chrono::seconds(8));
        if (got.size() == 1)
          waited = std::chrono::duration_cast<std::chrono::milliseconds>(
              std::chrono::steady_clock::now() - t0);
        io.stop();
      },
      asio::detached);
  asio::co_spawn(
      io,
      [&]() -> asio::awaitable<void> {
        asio::steady_timer t(io, std::chrono::milliseconds(300));
        co_await t.async_wait(asio::use_awaitable);
        std::vector<queue::OutgoingMessage> batch;
        batch.push_back({"g", std::nullopt, "hello"});
        co_await sender.send(std::move(batch));
      },
      asio::detached);
  io.restart();
  io.run_for(std::chrono::seconds(9));
  ASSERT_TRUE(waited) << "the receiver got nothing";
  EXPECT_GE(*waited, std::chrono::milliseconds(250));
  EXPECT_LT(*waited, std::chrono::milliseconds(2000)) << "woken by NOTIFY, not by the 10 s poll";
}

}  // namespace
}  // namespace orderflow::testing
