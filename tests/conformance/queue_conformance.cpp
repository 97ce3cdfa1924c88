// The queue contract ("Queue semantics" in spec/API.md), run against every queue backend.
#include <gtest/gtest.h>

#include <boost/asio/detached.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "backends.hpp"

namespace orderflow::testing {
namespace {

using namespace std::chrono_literals;
using queue::Message;
using queue::OutgoingMessage;
using queue::QueueOptions;

QueueOptions fast_options() {
  QueueOptions o;
  o.visibility_timeout = 500ms;
  o.max_retries = 3;
  o.retry_delays = {300ms, 300ms, 300ms};
  o.dedup_window = 60s;
  o.poll_interval = 50ms;
  return o;
}

template <typename Backend>
class QueueConformance : public ::testing::Test {
 protected:
  void make(QueueOptions o = fast_options()) {
    backend_.reset();
    backend_ = std::make_unique<Backend>(std::move(o), io_);
  }
  void SetUp() override { make(); }

  queue::Queue& q() { return backend_->queue(); }
  template <typename T>
  T await(asio::awaitable<T> op) {
    return run(io_, std::move(op));
  }
  std::string send(std::string group, std::string body,
                   std::optional<std::string> dedup = std::nullopt) {
    std::vector<OutgoingMessage> batch;
    batch.push_back({std::move(group), std::move(dedup), std::move(body)});
    return await(q().send(std::move(batch))).at(0).message_id;
  }
  std::vector<Message> receive(std::size_t max = 10, std::chrono::milliseconds wait = 0ms) {
    return await(q().receive(max, wait));
  }
  std::vector<std::string> bodies(const std::vector<Message>& ms) {
    std::vector<std::string> out;
    for (const auto& m : ms) out.push_back(m.body);
    std::sort(out.begin(), out.end());
    return out;
  }
  // Longer than the queue's visibility timeout (which it may have rounded up) by `margin`.
  void outwait_visibility(std::chrono::milliseconds margin) {
    std::this_thread::sleep_for(q().options().visibility_timeout + margin);
  }
  static constexpr QueueDeviations kDeviates = deviations_of<Backend>();
  void remove_all(const std::vector<Message>& ms) {
    for (const auto& m : ms) EXPECT_TRUE(await(q().remove(m)));
  }

  asio::io_context io_;
  std::unique_ptr<Backend> backend_;
};

using QueueBackends =
    ::testing::Types<SqliteBackend, PgBackend, MysqlBackend, RedisQueueBackend, SqsQueueBackend>;
TYPED_TEST_SUITE(QueueConformance, QueueBackends, BackendNames);

TYPED_TEST(QueueConformance, SendReceiveDelete) {
  const auto id = this->send("g", "hello");
  auto got = this->receive();
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].message_id, id);
  EXPECT_EQ(got[0].body, "hello");
  EXPECT_EQ(got[0].group_id, "g");
  EXPECT_EQ(got[0].receive_count, 1);
  EXPECT_TRUE(this->await(this->q().remove(got[0])));
  EXPECT_TRUE(this->receive().empty());
  const auto s = this->await(this->q().stats());
  EXPECT_EQ(s.sent, 1);
  EXPECT_EQ(s.received, 1);
  EXPECT_EQ(s.deleted, 1);
  EXPECT_EQ(s.visible + s.in_flight + s.delayed, 0);
}

TYPED_TEST(QueueConformance, FifoWithinAGroup) {
  for (int i = 1; i <= 3; ++i) this->send("order-1", "m" + std::to_string(i));
  for (int i = 1; i <= 3; ++i) {
    auto got = this->receive();
    ASSERT_EQ(got.size(), 1u) << "one message per group per receive";
    EXPECT_EQ(got[0].body, "m" + std::to_string(i));
    this->remove_all(got);
  }
}

TYPED_TEST(QueueConformance, ABusyGroupBlocksOnlyItself) {
  this->send("a", "a1");
  this->send("a", "a2");
  this->send("b", "b1");
  auto first = this->receive();
  EXPECT_EQ(this->bodies(first), (std::vector<std::string>{"a1", "b1"}));
  const auto a1 = *std::find_if(first.begin(), first.end(), [](auto& m) { return m.body == "a1"; });
  const auto b1 = *std::find_if(first.begin(), first.end(), [](auto& m) { return m.body == "b1"; });
  this->send("b", "b2");
  EXPECT_TRUE(this->await(this->q().remove(b1)));
  // a1 is still in flight: group a waits, group b goes on.
  EXPECT_EQ(this->bodies(this->receive()), (std::vector<std::string>{"b2"}));
  EXPECT_TRUE(this->await(this->q().remove(a1)));
  EXPECT_EQ(this->bodies(this->receive()), (std::vector<std::string>{"a2"}));
}

TYPED_TEST(QueueConformance, BatchReceiveAcrossGroups) {
  for (int i = 0; i < 10; ++i) this->send("g" + std::to_string(i), "m" + std::to_string(i));
  EXPECT_EQ(this->receive(4).size(), 4u);
  EXPECT_EQ(this->receive(10).size(), 6u);
  EXPECT_TRUE(this->receive(10).empty());
}

// Ten orders of the largest kind in one send: 3 MB, more than SQS takes in one batch call.
TYPED_TEST(QueueConformance, ABatchOfLargeMessagesIsSent) {
  std::vector<OutgoingMessage> batch;
  for (int i = 0; i < 10; ++i)
    batch.push_back(
        {"g" + std::to_string(i), std::nullopt, std::string(300'000, static_cast<char>('a' + i))});
  const auto sent = this->await(this->q().send(batch));
  ASSERT_EQ(sent.size(), 10u);
  std::vector<std::string> bodies;
  for (int round = 0; round < 10 && bodies.size() < 10; ++round)
    for (const auto& m : this->receive(10)) bodies.push_back(m.body);
  std::sort(bodies.begin(), bodies.end());
  ASSERT_EQ(bodies.size(), 10u);
  for (int i = 0; i < 10; ++i) EXPECT_EQ(bodies[i], batch[i].body);
}

TYPED_TEST(QueueConformance, DeduplicatesWithinTheWindow) {
  const auto first = this->send("g", "body-1", "key-1");
  const auto again = this->await(this->q().send({{"g", "key-1", "body-2"}}));
  if (this->kDeviates.reports_deduplication) {
    EXPECT_TRUE(again.at(0).deduplicated);
  }
  EXPECT_EQ(again.at(0).message_id, first);
  // Without a deduplication id, the body's SHA-256 is the id.
  const auto x = this->send("h", "same body");
  EXPECT_EQ(this->send("h", "same body"), x);
  EXPECT_NE(this->send("h", "other body"), x);
  auto got = this->receive();
  EXPECT_EQ(this->bodies(got), (std::vector<std::string>{"body-1", "same body"}));
  if (this->kDeviates.reports_deduplication) {
    EXPECT_EQ(this->await(this->q().stats()).deduplicated, 2);
  }
}

TYPED_TEST(QueueConformance, DeduplicationWindowExpires) {
  if (!this->kDeviates.dedup_window_configurable)
    GTEST_SKIP() << "this queue's deduplication window is fixed (SQS: 5 minutes)";
  auto o = fast_options();
  o.dedup_window = 200ms;
  this->make(o);
  const auto first = this->send("g", "b", "k");
  sleep_ms(300);
  EXPECT_NE(this->send("g", "b", "k"), first);
}

TYPED_TEST(QueueConformance, VisibilityTimeoutRedelivers) {
  const auto id = this->send("g", "m");
  auto first = this->receive();
  ASSERT_EQ(first.size(), 1u);
  EXPECT_TRUE(this->receive().empty()) << "in flight: invisible";
  EXPECT_EQ(this->await(this->q().stats()).in_flight, 1);
  this->outwait_visibility(200ms);
  auto second = this->receive();
  ASSERT_EQ(second.size(), 1u);
  EXPECT_EQ(second[0].message_id, id);
  EXPECT_EQ(second[0].receive_count, 2);
  EXPECT_NE(second[0].receipt, first[0].receipt);
  if (this->kDeviates.reports_stale_deletes) {
    EXPECT_FALSE(this->await(this->q().remove(first[0]))) << "a stale receipt deletes nothing";
  }
  EXPECT_FALSE(this->await(this->q().fail(first[0], "late")));
  EXPECT_TRUE(this->await(this->q().remove(second[0])));
}

TYPED_TEST(QueueConformance, RetriesAfterTheBackoffDelay) {
  auto o = fast_options();
  o.retry_delays = {1000ms};
  this->make(o);
  this->send("g", "m");
  auto got = this->receive();
  ASSERT_EQ(got.size(), 1u);
  const auto failed_at = std::chrono::steady_clock::now();
  EXPECT_TRUE(this->await(this->q().fail(got[0], "boom")));
  const auto waiting = this->await(this->q().stats());
  EXPECT_EQ(this->kDeviates.retry_wait_is_delayed ? waiting.delayed : waiting.in_flight, 1);
  sleep_ms(300);  // well inside 1000 ms − 10 % jitter
  EXPECT_TRUE(this->receive().empty());
  auto again = this->receive(10, 3000ms);
  const auto waited = std::chrono::steady_clock::now() - failed_at;
  ASSERT_EQ(again.size(), 1u);
  EXPECT_GE(waited, 890ms);
  EXPECT_LT(waited, 3000ms);
  EXPECT_EQ(again[0].receive_count, 2);
  EXPECT_EQ(this->await(this->q().stats()).retried, 1);
}

TYPED_TEST(QueueConformance, DeadLettersAfterTheLastRetry) {
  auto o = fast_options();
  o.max_retries = 2;
  o.retry_delays = {50ms};
  this->make(o);
  const auto id = this->send("g", "poison");
  this->send("g", "next");
  for (int attempt = 1; attempt <= 3; ++attempt) {
    auto got = this->receive(10, 2000ms);
    ASSERT_EQ(got.size(), 1u) << "attempt " << attempt;
    EXPECT_EQ(got[0].body, "poison");
    EXPECT_EQ(got[0].receive_count, attempt);
    EXPECT_TRUE(this->await(this->q().fail(got[0], "boom " + std::to_string(attempt))));
  }
  const auto dlq = this->await(this->q().dead_letters(10));
  ASSERT_EQ(dlq.size(), 1u);
  EXPECT_EQ(dlq[0].message_id, id);
  EXPECT_EQ(dlq[0].body, "poison");
  EXPECT_EQ(dlq[0].receive_count, 3);
  EXPECT_EQ(dlq[0].last_error, "boom 3");
  // The group is free again once its head is dead-lettered.
  EXPECT_EQ(this->bodies(this->receive()), (std::vector<std::string>{"next"}));
  const auto s = this->await(this->q().stats());
  EXPECT_EQ(s.dead_letter, 1);
  EXPECT_EQ(s.dead_lettered, 1);
  EXPECT_EQ(s.retried, 2);
}

TYPED_TEST(QueueConformance, ExpiredVisibilityCountsAsAFailedDelivery) {
  auto o = fast_options();
  o.max_retries = 1;
  o.visibility_timeout = 100ms;
  this->make(o);
  this->send("g", "m");
  for (int i = 0; i < 2; ++i) {
    ASSERT_EQ(this->receive().size(), 1u);
    this->outwait_visibility(50ms);
  }
  EXPECT_TRUE(this->receive().empty());
  EXPECT_EQ(this->await(this->q().dead_letters(10)).size(), 1u);
}

TYPED_TEST(QueueConformance, RedriveMovesDeadLettersBack) {
  auto o = fast_options();
  o.max_retries = 0;
  this->make(o);
  this->send("a", "a1");
  this->send("b", "b1");
  for (const auto& m : this->receive()) EXPECT_TRUE(this->await(this->q().fail(m, "x")));
  auto dlq = this->await(this->q().dead_letters(10));
  ASSERT_EQ(dlq.size(), 2u);
  EXPECT_EQ(this->await(this->q().redrive({dlq[0].message_id})), 1);
  auto got = this->receive();
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].message_id, dlq[0].message_id);
  EXPECT_EQ(got[0].receive_count, 1);
  EXPECT_EQ(this->await(this->q().redrive({})), 1);
  EXPECT_TRUE(this->await(this->q().dead_letters(10)).empty());
}

TYPED_TEST(QueueConformance, RedrivenMessageGoesBehindLaterOnesOfItsGroup) {
  auto o = fast_options();
  o.max_retries = 0;
  this->make(o);
  this->send("g", "first");
  auto got = this->receive();
  EXPECT_TRUE(this->await(this->q().fail(got.at(0), "x")));
  this->send("g", "second");
  EXPECT_EQ(this->await(this->q().redrive({})), 1);
  auto next = this->receive();
  ASSERT_EQ(next.size(), 1u);
  EXPECT_EQ(next[0].body, "second");
}

TYPED_TEST(QueueConformance, PurgeEmptiesTheMainQueueOnly) {
  auto o = fast_options();
  o.max_retries = 0;
  this->make(o);
  this->send("dead", "d");
  EXPECT_TRUE(this->await(this->q().fail(this->receive().at(0), "x")));
  for (int i = 0; i < 3; ++i) this->send("g" + std::to_string(i), "m" + std::to_string(i));
  EXPECT_EQ(this->await(this->q().purge()), 3);
  const auto s = this->await(this->q().stats());
  EXPECT_EQ(s.visible, 0);
  EXPECT_EQ(s.dead_letter, 1);
}

TYPED_TEST(QueueConformance, LongPollIsWokenBySend) {
  auto o = fast_options();
  o.poll_interval = 10s;  // a wake-up, not polling, must end the wait
  this->make(o);
  auto& q = this->q();
  auto scenario =
      [&]() -> asio::awaitable<std::pair<std::vector<Message>, std::chrono::milliseconds>> {
    asio::steady_timer timer(co_await asio::this_coro::executor);
    asio::co_spawn(
        co_await asio::this_coro::executor,
        [&q]() -> asio::awaitable<void> {
          asio::steady_timer t(co_await asio::this_coro::executor);
          t.expires_after(200ms);
          co_await t.async_wait(asio::use_awaitable);
          std::vector<OutgoingMessage> batch;
          batch.push_back({"g", std::nullopt, "wake"});
          co_await q.send(std::move(batch));
        },
        asio::detached);
    const auto t0 = std::chrono::steady_clock::now();
    auto got = co_await q.receive(10, 5000ms);
    co_return std::make_pair(got, std::chrono::duration_cast<std::chrono::milliseconds>(
                                      std::chrono::steady_clock::now() - t0));
  };
  auto [got, waited] = this->await(scenario());
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].body, "wake");
  EXPECT_GE(waited, 150ms);
  EXPECT_LT(waited, 2000ms);
}

TYPED_TEST(QueueConformance, LongPollReturnsEmptyAfterTheWait) {
  const auto t0 = std::chrono::steady_clock::now();
  EXPECT_TRUE(this->receive(10, 300ms).empty());
  EXPECT_GE(std::chrono::steady_clock::now() - t0, 280ms);
}

TYPED_TEST(QueueConformance, SurvivesReopen) {
  const auto in_flight = this->send("a", "a1");
  this->send("a", "a2");
  const auto b1 = this->send("b", "b1", "dedup-b");
  auto got = this->receive(1);
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].message_id, in_flight);
  this->backend_->reopen();
  auto s = this->await(this->q().stats());
  EXPECT_EQ(s.in_flight, 1);
  if (this->kDeviates.counters_survive_restart) {
    EXPECT_EQ(s.sent, 3);
  }
  EXPECT_EQ(this->send("b", "b1-again", "dedup-b"), b1) << "deduplication state is durable too";
  auto b = this->receive();
  EXPECT_EQ(this->bodies(b), (std::vector<std::string>{"b1"}));
  this->remove_all(b);
  this->outwait_visibility(200ms);
  auto again = this->receive();
  ASSERT_EQ(again.size(), 1u);
  EXPECT_EQ(again[0].message_id, in_flight) << "the in-flight message comes back after a restart";
}

}  // namespace
}  // namespace orderflow::testing
