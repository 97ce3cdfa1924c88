#include "backends/postgres/pg_queue.hpp"

#include "backends/postgres/pg_params.hpp"
#include "backends/postgres/pg_schema.hpp"
#include "backends/sql/rows.hpp"
#include "base/ids.hpp"
#include "base/time.hpp"

namespace orderflow::backends {

namespace asio = boost::asio;

namespace {
const backends::SqlFiles& sql = backends::pg_sql();
}  // namespace

PgQueue::PgQueue(pg::Pool& pool, queue::QueueOptions options, std::string name)
    : pool_(pool),
      options_(std::move(options)),
      name_(std::move(name)),
      node_(uuid_v7()),
      channel_("orderflow_queue_" + sha256_hex(name_).substr(0, 16)) {}

PgQueue::~PgQueue() {
  std::lock_guard lock(listener_mutex_);
  if (listener_) listener_->close();
}

asio::awaitable<void> PgQueue::ensure_listening() {
  {
    std::lock_guard lock(listener_mutex_);
    if (listener_ && !listener_->broken()) co_return;
  }
  // Without a listener receivers still poll every poll_interval; a failure here is not fatal.
  try {
    auto c = co_await pg::Connection::connect(pool_.executor(), pool_.options().conninfo,
                                              pool_.options().connect_timeout);
    c->on_notification([weak = std::weak_ptr<Notifier>(notifier_)](std::string) {
      if (auto n = weak.lock()) n->notify();
    });
    std::vector<pg::Statement> listen;
    listen.push_back({"LISTEN \"" + channel_ + "\"", {}, false});
    co_await c->execute(std::move(listen), pool_.options().query_timeout);
    std::lock_guard lock(listener_mutex_);
    listener_ = std::move(c);
  } catch (const std::exception&) {
  }
}

pg::Statement PgQueue::send_statement(std::span<const queue::OutgoingMessage* const> batch,
                                      std::int64_t now) const {
  pg::ArrayLiteral dedup_ids, message_ids, groups, bodies;
  for (const auto* m : batch) {
    dedup_ids.add(queue::dedup_id_of(*m));
    message_ids.add(uuid_v7());
    groups.add(m->group_id);
    bodies.add(m->body);
  }
  return {sql["send"],
          {name_, node_ + ":send", std::move(dedup_ids).done(), std::move(message_ids).done(),
           std::move(groups).done(), text_of(now), text_of(now + options_.dedup_window.count()),
           std::move(bodies).done()}};
}

asio::awaitable<std::vector<queue::SendResult>> PgQueue::send(
    std::vector<queue::OutgoingMessage> batch) {
  std::vector<const queue::OutgoingMessage*> messages;
  for (const auto& m : batch) messages.push_back(&m);
  std::vector<pg::Statement> statements;
  statements.push_back(send_statement(messages, now_ms()));
  statements.push_back({sql["notify"], {channel_}});
  // One request: the batch is one transaction, one round trip.
  const auto results = co_await pool_.execute(std::move(statements));
  std::vector<queue::SendResult> out;
  for (const auto row : results.at(0).each_row())
    out.push_back({row["message_id"].value_or(""), row.text("deduplicated") == "t"});
  notify_sent();
  co_return out;
}

asio::awaitable<std::vector<queue::Message>> PgQueue::receive(std::size_t max,
                                                              queue::milliseconds wait) {
  // Exhausted messages go to the dead letters; then each group's visible head is taken.
  const auto deadline = std::chrono::steady_clock::now() + wait;
  if (wait.count() > 0) co_await ensure_listening();
  for (;;) {
    const auto seen = notifier_->generation();
    const auto now = text_of(now_ms());
    std::vector<pg::Statement> statements;
    statements.push_back({sql["dead_letter_exhausted"],
                          {name_, node_ + ":receive", now, text_of(options_.max_retries)}});
    statements.push_back({sql["receive"],
                          {name_, node_ + ":receive", now, text_of(static_cast<std::int64_t>(max)),
                           text_of(options_.visibility_timeout.count())}});
    const auto results = co_await pool_.execute(std::move(statements));
    std::vector<queue::Message> got;
    for (const auto row : results.at(1).each_row())
      got.push_back({row.text("message_id"), row.text("receipt"), row.text("group_id"),
                     row.text("body"), static_cast<int>(row.integer("receive_count")),
                     row.integer("sent_at")});
    const auto left = std::chrono::duration_cast<queue::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (!got.empty() || left.count() <= 0) co_return got;
    co_await notifier_->wait(seen, std::min(left, options_.poll_interval));
  }
}

pg::Statement PgQueue::remove_statement(std::span<const queue::Message* const> delivered) const {
  pg::ArrayLiteral ids, receipts;
  for (const auto* m : delivered) {
    ids.add(m->message_id);
    receipts.add(m->receipt);
  }
  return {sql["remove"],
          {name_, node_ + ":apply", std::move(ids).done(), std::move(receipts).done()}};
}

asio::awaitable<bool> PgQueue::remove(const queue::Message& m) {
  const queue::Message* const delivered[] = {&m};
  std::vector<pg::Statement> one;
  one.push_back(remove_statement(delivered));
  const auto r = co_await pool_.execute(std::move(one));
  co_return r.at(0).at(0, "n") == "1";
}

pg::Statement PgQueue::fail_statement(const queue::Message& m, const std::string& error,
                                      std::int64_t now) const {
  std::vector<std::string> delays;
  for (const auto& d : options_.retry_delays) delays.push_back(text_of(d.count()));
  return {sql["fail"],
          {name_, node_ + ":apply", m.message_id, m.receipt, error, text_of(now),
           text_of(options_.max_retries), pg::text_array(delays)}};
}

asio::awaitable<bool> PgQueue::fail(const queue::Message& m, std::string error) {
  std::vector<pg::Statement> one;
  one.push_back(fail_statement(m, error, now_ms()));
  const auto r = co_await pool_.execute(std::move(one));
  co_return r.at(0).at(0, "n") == "1";
}

asio::awaitable<std::int64_t> PgQueue::purge() {
  pg::Params params{name_};
  const auto r = co_await pool_.query(sql["purge"], std::move(params));
  co_return r.affected;
}

asio::awaitable<std::vector<queue::DeadLetter>> PgQueue::dead_letters(std::size_t limit) {
  pg::Params params{name_, text_of(static_cast<std::int64_t>(limit))};
  const auto r = co_await pool_.query(sql["dead_letters"], std::move(params));
  std::vector<queue::DeadLetter> out;
  for (const auto row : r.each_row()) out.push_back(dead_letter_from_row(row));
  co_return out;
}

asio::awaitable<std::int64_t> PgQueue::redrive(std::vector<std::string> ids) {
  std::vector<pg::Statement> statements;
  statements.push_back({sql["redrive"], {name_, pg::text_array(ids), text_of(now_ms())}});
  statements.push_back({sql["notify"], {channel_}});
  const auto results = co_await pool_.execute(std::move(statements));
  if (results.at(0).affected > 0) notify_sent();
  co_return results.at(0).affected;
}

asio::awaitable<queue::QueueStats> PgQueue::stats() {
  const auto now = text_of(now_ms());
  std::vector<pg::Statement> statements;
  statements.push_back({sql["queue_depths"], {name_, now}});
  statements.push_back({sql["queue_counters"], {name_}});
  const auto r = co_await pool_.execute(std::move(statements));
  queue::QueueStats s;
  s.backend = "postgres";
  read_queue_depths(r.at(0).row(0), now_ms(), s);
  read_queue_counters(r.at(1).row(0), s);
  co_return s;
}

}  // namespace orderflow::backends
