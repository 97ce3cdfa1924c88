#include "backends/sqlite/sqlite_queue.hpp"

#include <boost/asio/this_coro.hpp>

#include <algorithm>
#include <array>
#include <cmath>

#include "backends/sql/rows.hpp"
#include "backends/sqlite/sqlite_schema.hpp"
#include "base/ids.hpp"
#include "base/time.hpp"

namespace orderflow::backends {

namespace asio = boost::asio;
using sqlite::Connection;

namespace {
const backends::SqlFiles& sql = backends::sqlite_sql();
}  // namespace

SqliteQueue::SqliteQueue(sqlite::Database& db, queue::QueueOptions options, std::string name)
    : db_(db), options_(std::move(options)), name_(std::move(name)) {}

void SqliteQueue::count_in(Connection& c, std::int64_t queue::QueueStats::*counter,
                           std::int64_t n) {
  if (n == 0) return;
  // add_to_counters (sql/queue.sql) takes the counters in kQueueCounters' order.
  std::array<std::int64_t, queue::kQueueCounters.size()> add{};
  for (std::size_t i = 0; i < add.size(); ++i)
    if (queue::kQueueCounters[i].second == counter) add[i] = n;
  c.exec(sql["add_to_counters"], name_, add[0], add[1], add[2], add[3], add[4], add[5]);
}

queue::SendResult SqliteQueue::send_in(Connection& c, const queue::OutgoingMessage& m,
                                       std::int64_t now) {
  const std::string dedup = queue::dedup_id_of(m);
  {
    auto cur = c.query(sql["live_dedup"], name_, dedup, now);
    if (cur.next()) {
      queue::SendResult r{cur.text(0), true};
      count_in(c, &queue::QueueStats::deduplicated, 1);
      return r;
    }
  }
  queue::SendResult r{uuid_v7(), false};
  c.exec(sql["insert_message"], r.message_id, name_, m.group_id, dedup, m.body, now);
  c.exec(sql["remember_dedup"], name_, dedup, r.message_id, now + options_.dedup_window.count());
  count_in(c, &queue::QueueStats::sent, 1);
  return r;
}

asio::awaitable<std::vector<queue::SendResult>> SqliteQueue::send(
    std::vector<queue::OutgoingMessage> batch) {
  auto results = co_await db_.write<std::vector<queue::SendResult>>([&](Connection& c) {
    std::vector<queue::SendResult> out;
    const auto now = now_ms();
    for (const auto& m : batch) out.push_back(send_in(c, m, now));
    return out;
  });
  notify_sent();
  co_return results;
}

void SqliteQueue::dead_letter_in(Connection& c, const std::string& message_id,
                                 const std::string& error, std::int64_t now) {
  c.exec(sql["dead_letter"], message_id, error, now);
  count_in(c, &queue::QueueStats::dead_lettered, 1);
}

std::vector<queue::Message> SqliteQueue::receive_in(Connection& c, std::size_t max,
                                                    std::int64_t now) {
  // Each group's head message, when it is visible; later messages of a group wait for it.
  std::vector<queue::Message> out;
  std::vector<std::pair<std::string, std::string>> exhausted;  // message id, last error
  {
    auto cur = c.query(sql["receivable"], name_, now, static_cast<std::int64_t>(max));
    while (cur.next()) {
      const auto receive_count = static_cast<int>(cur.integer("receive_count"));
      // A message delivered max_retries+1 times whose visibility ran out each time (its
      // consumer died) is dead-lettered instead of delivered again.
      if (receive_count > options_.max_retries) {
        exhausted.emplace_back(cur.text("message_id"),
                               cur.optional_text("last_error")
                                   .value_or("visibility timeout expired on every delivery"));
        continue;
      }
      out.push_back({cur.text("message_id"), uuid_v7(), cur.text("group_id"), cur.text("body"),
                     receive_count + 1, cur.integer("sent_at")});
    }
  }
  for (const auto& [id, error] : exhausted) dead_letter_in(c, id, error, now);
  const auto visible_at = now + options_.visibility_timeout.count();
  for (const auto& m : out)
    c.exec(sql["mark_received"], m.message_id, m.receipt, visible_at, m.receive_count);
  count_in(c, &queue::QueueStats::received, static_cast<std::int64_t>(out.size()));
  return out;
}

asio::awaitable<std::vector<queue::Message>> SqliteQueue::receive(std::size_t max,
                                                                  queue::milliseconds wait) {
  const auto deadline = std::chrono::steady_clock::now() + wait;
  for (;;) {
    const auto seen = notifier_.generation();
    auto got = co_await db_.write<std::vector<queue::Message>>(
        [&](Connection& c) { return receive_in(c, max, now_ms()); });
    const auto left = std::chrono::duration_cast<queue::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (!got.empty() || left.count() <= 0) co_return got;
    co_await notifier_.wait(seen, std::min(left, options_.poll_interval));
  }
}

bool SqliteQueue::is_current_in(Connection& c, const queue::Message& m) {
  auto cur = c.query(sql["receipt_current"], m.message_id, m.receipt);
  return cur.next();
}

bool SqliteQueue::remove_in(Connection& c, const queue::Message& m) {
  const bool removed = c.exec(sql["delete_by_receipt"], m.message_id, m.receipt) > 0;
  if (removed) count_in(c, &queue::QueueStats::deleted, 1);
  return removed;
}

asio::awaitable<bool> SqliteQueue::remove(const queue::Message& m) {
  co_return co_await db_.write<bool>([&](Connection& c) { return remove_in(c, m); });
}

bool SqliteQueue::fail_in(Connection& c, const queue::Message& m, const std::string& error,
                          std::int64_t now) {
  if (!is_current_in(c, m)) return false;
  if (m.receive_count > options_.max_retries) {
    dead_letter_in(c, m.message_id, error, now);
    return true;
  }
  c.exec(sql["release_for_retry"], m.message_id,
         now + queue::retry_delay(options_, m.receive_count).count(), error);
  count_in(c, &queue::QueueStats::retried, 1);
  return true;
}

asio::awaitable<bool> SqliteQueue::fail(const queue::Message& m, std::string error) {
  co_return co_await db_.write<bool>([&](Connection& c) { return fail_in(c, m, error, now_ms()); });
}

asio::awaitable<std::int64_t> SqliteQueue::purge() {
  co_return co_await db_.write<std::int64_t>(
      [&](Connection& c) { return c.exec(sql["purge"], name_); });
}

asio::awaitable<std::vector<queue::DeadLetter>> SqliteQueue::dead_letters(std::size_t limit) {
  co_return co_await db_.read<std::vector<queue::DeadLetter>>([&](Connection& c) {
    std::vector<queue::DeadLetter> out;
    auto cur = c.query(sql["dead_letters"], name_, static_cast<std::int64_t>(limit));
    while (cur.next()) out.push_back(dead_letter_from_row(cur));
    return out;
  });
}

asio::awaitable<std::int64_t> SqliteQueue::redrive(std::vector<std::string> ids) {
  auto moved = co_await db_.write<std::int64_t>([&](Connection& c) {
    std::vector<std::string> targets = ids;
    if (targets.empty()) {
      auto cur = c.query(sql["dead_letter_ids"], name_);
      while (cur.next()) targets.push_back(cur.text(0));
    }
    // A redriven message goes to the tail: it gets a new sequence number, same id and body.
    std::int64_t n = 0;
    const auto now = now_ms();
    for (const auto& id : targets) {
      n += c.exec(sql["redrive"], name_, id, now);
    }
    return n;
  });
  if (moved > 0) notify_sent();
  co_return moved;
}

asio::awaitable<queue::QueueStats> SqliteQueue::stats() {
  co_return co_await db_.read<queue::QueueStats>([&](Connection& c) {
    queue::QueueStats s;
    s.backend = "sqlite";
    const auto now = now_ms();
    {
      auto cur = c.query(sql["queue_depths"], name_, now);
      cur.next();
      read_queue_depths(cur, now, s);
    }
    auto cur = c.query(sql["queue_counters"], name_);
    if (cur.next()) read_queue_counters(cur, s);
    return s;
  });
}

}  // namespace orderflow::backends
