#include "backends/sqlite/sqlite_queue.hpp"

#include <boost/asio/this_coro.hpp>

#include <algorithm>
#include <cmath>

#include "base/ids.hpp"
#include "base/time.hpp"

namespace orderflow::queue {

namespace asio = boost::asio;
using sqlite::Connection;

SqliteQueue::SqliteQueue(sqlite::Database& db, QueueOptions options, std::string name)
    : db_(db), options_(std::move(options)), name_(std::move(name)) {}

void SqliteQueue::count_in(Connection& c, const char* counter, std::int64_t n) {
  if (n == 0) return;
  // The counter name is one of a fixed set of column names, never user input.
  c.exec(std::string("INSERT INTO queue_counters(queue_name, ") + counter +
             ") VALUES (?1, ?2) ON CONFLICT(queue_name) DO UPDATE SET " + counter + " = " +
             counter + " + ?2",
         name_, n);
}

SendResult SqliteQueue::send_in(Connection& c, const OutgoingMessage& m, std::int64_t now) {
  const std::string dedup = dedup_id_of(m);
  {
    auto cur = c.query(
        "SELECT message_id FROM queue_dedup WHERE queue_name=?1 AND dedup_id=?2 AND expires_at>?3",
        name_, dedup, now);
    if (cur.next()) {
      SendResult r{cur.text(0), true};
      count_in(c, "deduplicated", 1);
      return r;
    }
  }
  SendResult r{uuid_v7(), false};
  c.exec(
      "INSERT INTO queue_messages(message_id, queue_name, group_id, dedup_id, body, sent_at, "
      "visible_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?6)",
      r.message_id, name_, m.group_id, dedup, m.body, now);
  c.exec(
      "INSERT INTO queue_dedup(queue_name, dedup_id, message_id, expires_at) VALUES (?1,?2,?3,?4) "
      "ON CONFLICT(queue_name, dedup_id) DO UPDATE SET message_id=?3, expires_at=?4",
      name_, dedup, r.message_id, now + options_.dedup_window.count());
  count_in(c, "sent", 1);
  return r;
}

asio::awaitable<std::vector<SendResult>> SqliteQueue::send(std::vector<OutgoingMessage> batch) {
  auto results = co_await db_.write<std::vector<SendResult>>([&](Connection& c) {
    std::vector<SendResult> out;
    const auto now = now_ms();
    for (const auto& m : batch) out.push_back(send_in(c, m, now));
    return out;
  });
  notify_sent();
  co_return results;
}

void SqliteQueue::dead_letter_in(Connection& c, const std::string& message_id,
                                 const std::string& error, std::int64_t now) {
  c.exec(
      "UPDATE queue_messages SET in_dlq=1, receipt=NULL, last_error=?2, dead_lettered_at=?3 "
      "WHERE message_id=?1",
      message_id, error, now);
  count_in(c, "dead_lettered", 1);
}

std::vector<Message> SqliteQueue::receive_in(Connection& c, std::size_t max, std::int64_t now) {
  // Each group's head message, when it is visible; later messages of a group wait for it.
  std::vector<Message> out;
  std::vector<std::pair<std::string, std::string>> exhausted;  // message id, last error
  {
    auto cur = c.query(
        "SELECT m.message_id, m.group_id, m.body, m.receive_count, m.sent_at, m.last_error "
        "FROM queue_messages m WHERE m.queue_name=?1 AND m.in_dlq=0 AND m.visible_at<=?2 "
        "AND NOT EXISTS (SELECT 1 FROM queue_messages e WHERE e.queue_name=?1 AND e.in_dlq=0 "
        "AND e.group_id=m.group_id AND e.seq<m.seq) ORDER BY m.seq LIMIT ?3",
        name_, now, static_cast<std::int64_t>(max));
    while (cur.next()) {
      const auto receive_count = static_cast<int>(cur.integer(3));
      // A message delivered max_retries+1 times whose visibility ran out each time (its
      // consumer died) is dead-lettered instead of delivered again.
      if (receive_count > options_.max_retries) {
        exhausted.emplace_back(cur.text(0), cur.optional_text(5).value_or(
                                                "visibility timeout expired on every delivery"));
        continue;
      }
      out.push_back(
          {cur.text(0), uuid_v7(), cur.text(1), cur.text(2), receive_count + 1, cur.integer(4)});
    }
  }
  for (const auto& [id, error] : exhausted) dead_letter_in(c, id, error, now);
  const auto visible_at = now + options_.visibility_timeout.count();
  for (const auto& m : out)
    c.exec(
        "UPDATE queue_messages SET receipt=?2, visible_at=?3, receive_count=?4 WHERE message_id=?1",
        m.message_id, m.receipt, visible_at, m.receive_count);
  count_in(c, "received", static_cast<std::int64_t>(out.size()));
  return out;
}

asio::awaitable<std::vector<Message>> SqliteQueue::receive(std::size_t max, milliseconds wait) {
  const auto deadline = std::chrono::steady_clock::now() + wait;
  for (;;) {
    const auto seen = notifier_.generation();
    auto got = co_await db_.write<std::vector<Message>>(
        [&](Connection& c) { return receive_in(c, max, now_ms()); });
    const auto left =
        std::chrono::duration_cast<milliseconds>(deadline - std::chrono::steady_clock::now());
    if (!got.empty() || left.count() <= 0) co_return got;
    co_await notifier_.wait(seen, std::min(left, options_.poll_interval));
  }
}

bool SqliteQueue::is_current_in(Connection& c, const Message& m) {
  auto cur = c.query("SELECT 1 FROM queue_messages WHERE message_id=?1 AND receipt=?2 AND in_dlq=0",
                     m.message_id, m.receipt);
  return cur.next();
}

bool SqliteQueue::remove_in(Connection& c, const Message& m) {
  const bool removed =
      c.exec("DELETE FROM queue_messages WHERE message_id=?1 AND receipt=?2 AND in_dlq=0",
             m.message_id, m.receipt) > 0;
  if (removed) count_in(c, "deleted", 1);
  return removed;
}

asio::awaitable<bool> SqliteQueue::remove(const Message& m) {
  co_return co_await db_.write<bool>([&](Connection& c) { return remove_in(c, m); });
}

bool SqliteQueue::fail_in(Connection& c, const Message& m, const std::string& error,
                          std::int64_t now) {
  if (!is_current_in(c, m)) return false;
  if (m.receive_count > options_.max_retries) {
    dead_letter_in(c, m.message_id, error, now);
    return true;
  }
  c.exec("UPDATE queue_messages SET receipt=NULL, visible_at=?2, last_error=?3 WHERE message_id=?1",
         m.message_id, now + retry_delay(options_, m.receive_count).count(), error);
  count_in(c, "retried", 1);
  return true;
}

asio::awaitable<bool> SqliteQueue::fail(const Message& m, std::string error) {
  co_return co_await db_.write<bool>([&](Connection& c) { return fail_in(c, m, error, now_ms()); });
}

asio::awaitable<std::int64_t> SqliteQueue::purge() {
  co_return co_await db_.write<std::int64_t>([&](Connection& c) {
    return c.exec("DELETE FROM queue_messages WHERE queue_name=?1 AND in_dlq=0", name_);
  });
}

asio::awaitable<std::vector<DeadLetter>> SqliteQueue::dead_letters(std::size_t limit) {
  co_return co_await db_.read<std::vector<DeadLetter>>([&](Connection& c) {
    std::vector<DeadLetter> out;
    auto cur = c.query(
        "SELECT message_id, group_id, body, receive_count, last_error, sent_at, dead_lettered_at "
        "FROM queue_messages WHERE queue_name=?1 AND in_dlq=1 ORDER BY seq LIMIT ?2",
        name_, static_cast<std::int64_t>(limit));
    while (cur.next())
      out.push_back({cur.text(0), cur.text(1), cur.text(2), static_cast<int>(cur.integer(3)),
                     cur.optional_text(4), cur.integer(5), cur.optional_integer(6)});
    return out;
  });
}

asio::awaitable<std::int64_t> SqliteQueue::redrive(std::vector<std::string> ids) {
  auto moved = co_await db_.write<std::int64_t>([&](Connection& c) {
    std::vector<std::string> targets = ids;
    if (targets.empty()) {
      auto cur = c.query(
          "SELECT message_id FROM queue_messages WHERE queue_name=?1 AND in_dlq=1 ORDER BY seq",
          name_);
      while (cur.next()) targets.push_back(cur.text(0));
    }
    // A redriven message goes to the tail: it gets a new sequence number, same id and body.
    std::int64_t n = 0;
    const auto now = now_ms();
    for (const auto& id : targets) {
      n += c.exec(
          "UPDATE queue_messages SET seq=(SELECT MAX(seq)+1 FROM queue_messages), in_dlq=0, "
          "receive_count=0, receipt=NULL, visible_at=?3, dead_lettered_at=NULL "
          "WHERE queue_name=?1 AND message_id=?2 AND in_dlq=1",
          name_, id, now);
    }
    return n;
  });
  if (moved > 0) notify_sent();
  co_return moved;
}

asio::awaitable<QueueStats> SqliteQueue::stats() {
  co_return co_await db_.read<QueueStats>([&](Connection& c) {
    QueueStats s;
    s.backend = "sqlite";
    const auto now = now_ms();
    {
      auto cur = c.query(
          "SELECT "
          "COALESCE(SUM(in_dlq=0 AND visible_at<=?2),0), "
          "COALESCE(SUM(in_dlq=0 AND visible_at>?2 AND receipt IS NOT NULL),0), "
          "COALESCE(SUM(in_dlq=0 AND visible_at>?2 AND receipt IS NULL),0), "
          "COALESCE(SUM(in_dlq=1),0), MIN(CASE WHEN in_dlq=0 THEN sent_at END) "
          "FROM queue_messages WHERE queue_name=?1",
          name_, now);
      cur.next();
      s.visible = cur.integer(0);
      s.in_flight = cur.integer(1);
      s.delayed = cur.integer(2);
      s.dead_letter = cur.integer(3);
      if (auto oldest = cur.optional_integer(4))
        s.oldest_age_ms = std::max<std::int64_t>(0, now - *oldest);
    }
    auto cur = c.query(
        "SELECT sent, received, deleted, deduplicated, retried, dead_lettered FROM queue_counters "
        "WHERE queue_name=?1",
        name_);
    if (cur.next()) {
      s.sent = cur.integer(0);
      s.received = cur.integer(1);
      s.deleted = cur.integer(2);
      s.deduplicated = cur.integer(3);
      s.retried = cur.integer(4);
      s.dead_lettered = cur.integer(5);
    }
    return s;
  });
}

}  // namespace orderflow::queue
