#include "backends/postgres/pg_queue.hpp"

#include "base/ids.hpp"
#include "base/time.hpp"

namespace orderflow::queue {

namespace asio = boost::asio;

namespace {
std::string num(std::int64_t n) {
  return std::to_string(n);
}

// Adds to counters of this node's row, as a CTE body: one upsert, since a statement may touch
// a row only once. Each pair is a counter and the SQL that yields how much to add.
std::string bump(std::initializer_list<std::pair<const char*, const char*>> counters) {
  std::string cols, values, sets;
  for (const auto& [name, count_sql] : counters) {
    cols += std::string(", ") + name;
    values += std::string(", (") + count_sql + ")";
    sets += std::string(sets.empty() ? "" : ", ") + name + " = queue_counters." + name +
            " + EXCLUDED." + name;
  }
  return "INSERT INTO queue_counters(queue_name, node" + cols + ") VALUES ($1, $2" + values +
         ") ON CONFLICT (queue_name, node) DO UPDATE SET " + sets;
}
}  // namespace

PgQueue::PgQueue(pg::Pool& pool, QueueOptions options, std::string name)
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

pg::Statement PgQueue::send_statement(const OutgoingMessage& m, std::int64_t now) const {
  const std::string dedup = dedup_id_of(m);
  // Claiming the deduplication id first makes concurrent sends of one id wait for each other:
  // the loser sees the winner's unexpired row and inserts nothing.
  static const std::string sql =
      "WITH claim AS (INSERT INTO queue_dedup(queue_name, dedup_id, message_id, expires_at) "
      "VALUES ($1, $3, $4, $7) ON CONFLICT (queue_name, dedup_id) DO UPDATE SET "
      "message_id = EXCLUDED.message_id, expires_at = EXCLUDED.expires_at "
      "WHERE queue_dedup.expires_at <= $6 RETURNING message_id), "
      "ins AS (INSERT INTO queue_messages(message_id, queue_name, group_id, dedup_id, body, "
      "sent_at, visible_at) SELECT message_id, $1, $5, $3, $8, $6, $6 FROM claim RETURNING 1), "
      "c AS (" +
      bump({{"sent", "SELECT count(*) FROM ins"},
            {"deduplicated", "SELECT 1 - count(*) FROM ins"}}) +
      ") "
      "SELECT COALESCE((SELECT message_id FROM claim), (SELECT message_id FROM queue_dedup "
      "WHERE queue_name = $1 AND dedup_id = $3)) AS message_id, "
      "NOT EXISTS (SELECT 1 FROM claim) AS deduplicated";
  return {sql,
          {name_, node_ + ":send", dedup, uuid_v7(), m.group_id, num(now),
           num(now + options_.dedup_window.count()), m.body}};
}

asio::awaitable<std::vector<SendResult>> PgQueue::send(std::vector<OutgoingMessage> batch) {
  const auto now = now_ms();
  std::vector<pg::Statement> statements;
  for (const auto& m : batch) statements.push_back(send_statement(m, now));
  // Delivered when the request's transaction commits: wakes receivers in every process.
  statements.push_back({"SELECT pg_notify($1, '')", {channel_}});
  // One request: the batch is one transaction, one round trip.
  auto results = co_await pool_.execute(std::move(statements));
  results.pop_back();
  std::vector<SendResult> out;
  for (const auto& r : results)
    out.push_back({r.at(0, "message_id").value_or(""), r.at(0, "deduplicated") == "t"});
  notify_sent();
  co_return out;
}

asio::awaitable<std::vector<Message>> PgQueue::receive(std::size_t max, milliseconds wait) {
  // Messages whose visibility ran out on their last allowed delivery go to the dead letters;
  // then each group's head, if visible, is taken (at most `max`, oldest first).
  static const std::string exhaust_sql =
      "WITH dead AS (UPDATE queue_messages SET in_dlq = TRUE, receipt = NULL, dead_lettered_at = "
      "$3, "
      "last_error = COALESCE(last_error, 'visibility timeout expired on every delivery') "
      "WHERE queue_name = $1 AND NOT in_dlq AND receipt IS NOT NULL AND visible_at <= $3 "
      "AND receive_count > $4 RETURNING 1) " +
      bump({{"dead_lettered", "SELECT count(*) FROM dead"}});
  static const std::string receive_sql =
      "WITH heads AS (SELECT DISTINCT ON (group_id) seq FROM queue_messages "
      "WHERE queue_name = $1 AND NOT in_dlq ORDER BY group_id, seq), "
      // The visibility test is on the locked row itself: under READ COMMITTED, FOR UPDATE
      // re-checks it against the latest version, so a head another consumer took after this
      // statement's snapshot is not taken twice.
      "picked AS (SELECT m.seq FROM queue_messages m JOIN heads h ON h.seq = m.seq "
      "WHERE m.visible_at <= $3 AND NOT m.in_dlq ORDER BY m.seq LIMIT $4 "
      "FOR UPDATE OF m SKIP LOCKED), "
      "taken AS (UPDATE queue_messages q SET receipt = md5(random()::text || q.seq::text || $3), "
      "visible_at = $3 + $5, receive_count = q.receive_count + 1 FROM picked "
      "WHERE q.seq = picked.seq RETURNING q.seq, q.message_id, q.receipt, q.group_id, q.body, "
      "q.receive_count, q.sent_at), "
      "c AS (" +
      bump({{"received", "SELECT count(*) FROM taken"}}) +
      ") "
      "SELECT message_id, receipt, group_id, body, receive_count, sent_at FROM taken ORDER BY seq";
  const auto deadline = std::chrono::steady_clock::now() + wait;
  if (wait.count() > 0) co_await ensure_listening();
  for (;;) {
    const auto seen = notifier_->generation();
    const auto now = num(now_ms());
    std::vector<pg::Statement> statements;
    statements.push_back(
        {exhaust_sql, {name_, node_ + ":receive", now, num(options_.max_retries)}});
    statements.push_back({receive_sql,
                          {name_, node_ + ":receive", now, num(static_cast<std::int64_t>(max)),
                           num(options_.visibility_timeout.count())}});
    const auto results = co_await pool_.execute(std::move(statements));
    std::vector<Message> got;
    for (const auto& row : results.at(1).rows)
      got.push_back({*row[0], *row[1], *row[2], *row[3], std::stoi(*row[4]), std::stoll(*row[5])});
    const auto left =
        std::chrono::duration_cast<milliseconds>(deadline - std::chrono::steady_clock::now());
    if (!got.empty() || left.count() <= 0) co_return got;
    co_await notifier_->wait(seen, std::min(left, options_.poll_interval));
  }
}

pg::Statement PgQueue::remove_statement(const Message& m) const {
  static const std::string sql =
      "WITH gone AS (DELETE FROM queue_messages WHERE message_id = $3 AND receipt = $4 "
      "AND NOT in_dlq RETURNING 1), c AS (" +
      bump({{"deleted", "SELECT count(*) FROM gone"}}) + ") SELECT count(*) AS n FROM gone";
  return {sql, {name_, node_ + ":apply", m.message_id, m.receipt}};
}

asio::awaitable<bool> PgQueue::remove(const Message& m) {
  std::vector<pg::Statement> one;
  one.push_back(remove_statement(m));
  const auto r = co_await pool_.execute(std::move(one));
  co_return r.at(0).at(0, "n") == "1";
}

pg::Statement PgQueue::fail_statement(const Message& m, const std::string& error,
                                      std::int64_t now) const {
  // Retry after delays[receive_count] (the last repeating) with ±10 % jitter, or dead-letter
  // after the last retry.
  static const std::string sql =
      "WITH cur AS (SELECT seq, receive_count FROM queue_messages WHERE message_id = $3 "
      "AND receipt = $4 AND NOT in_dlq FOR UPDATE), "
      "dead AS (UPDATE queue_messages q SET in_dlq = TRUE, receipt = NULL, last_error = $5, "
      "dead_lettered_at = $6 FROM cur WHERE q.seq = cur.seq AND cur.receive_count > $7 RETURNING "
      "1), "
      "retry AS (UPDATE queue_messages q SET receipt = NULL, last_error = $5, visible_at = $6 + "
      "COALESCE((($8::bigint[])[LEAST(GREATEST(cur.receive_count, 1), cardinality($8::bigint[]))] "
      "* (0.9 + random() * 0.2))::bigint, 0) FROM cur WHERE q.seq = cur.seq "
      "AND cur.receive_count <= $7 RETURNING 1), "
      "c AS (" +
      bump({{"retried", "SELECT count(*) FROM retry"},
            {"dead_lettered", "SELECT count(*) FROM dead"}}) +
      ") "
      "SELECT count(*) AS n FROM cur";
  std::vector<std::string> delays;
  for (const auto& d : options_.retry_delays) delays.push_back(num(d.count()));
  return {sql,
          {name_, node_ + ":apply", m.message_id, m.receipt, error, num(now),
           num(options_.max_retries), pg::text_array(delays)}};
}

asio::awaitable<bool> PgQueue::fail(const Message& m, std::string error) {
  std::vector<pg::Statement> one;
  one.push_back(fail_statement(m, error, now_ms()));
  const auto r = co_await pool_.execute(std::move(one));
  co_return r.at(0).at(0, "n") == "1";
}

asio::awaitable<std::int64_t> PgQueue::purge() {
  pg::Params params{name_};
  const auto r = co_await pool_.query(
      "DELETE FROM queue_messages WHERE queue_name = $1 AND NOT in_dlq", std::move(params));
  co_return r.affected;
}

asio::awaitable<std::vector<DeadLetter>> PgQueue::dead_letters(std::size_t limit) {
  pg::Params params{name_, num(static_cast<std::int64_t>(limit))};
  const auto r = co_await pool_.query(
      "SELECT message_id, group_id, body, receive_count, last_error, sent_at, dead_lettered_at "
      "FROM queue_messages WHERE queue_name = $1 AND in_dlq ORDER BY seq LIMIT $2",
      std::move(params));
  std::vector<DeadLetter> out;
  for (const auto& row : r.rows)
    out.push_back({*row[0], *row[1], *row[2], std::stoi(*row[3]), row[4], std::stoll(*row[5]),
                   row[6] ? std::optional<std::int64_t>(std::stoll(*row[6])) : std::nullopt});
  co_return out;
}

asio::awaitable<std::int64_t> PgQueue::redrive(std::vector<std::string> ids) {
  // A redriven message goes to the tail: a new sequence number, same id and body.
  std::vector<pg::Statement> statements;
  statements.push_back(
      {"UPDATE queue_messages SET seq = nextval('queue_messages_seq_seq'), in_dlq = FALSE, "
       "receive_count = 0, receipt = NULL, visible_at = $3, dead_lettered_at = NULL "
       "WHERE queue_name = $1 AND in_dlq AND (cardinality($2::text[]) = 0 OR message_id = "
       "ANY($2::text[]))",
       {name_, pg::text_array(ids), num(now_ms())}});
  statements.push_back({"SELECT pg_notify($1, '')", {channel_}});
  const auto results = co_await pool_.execute(std::move(statements));
  if (results.at(0).affected > 0) notify_sent();
  co_return results.at(0).affected;
}

asio::awaitable<QueueStats> PgQueue::stats() {
  const auto now = num(now_ms());
  std::vector<pg::Statement> statements;
  statements.push_back(
      {"SELECT count(*) FILTER (WHERE NOT in_dlq AND visible_at <= $2) AS visible, "
       "count(*) FILTER (WHERE NOT in_dlq AND visible_at > $2 AND receipt IS NOT NULL) AS "
       "in_flight, "
       "count(*) FILTER (WHERE NOT in_dlq AND visible_at > $2 AND receipt IS NULL) AS delayed, "
       "count(*) FILTER (WHERE in_dlq) AS dead_letter, "
       "min(sent_at) FILTER (WHERE NOT in_dlq) AS oldest FROM queue_messages WHERE queue_name = $1",
       {name_, now}});
  statements.push_back(
      {"SELECT COALESCE(sum(sent),0) AS sent, COALESCE(sum(received),0) AS received, "
       "COALESCE(sum(deleted),0) AS deleted, COALESCE(sum(deduplicated),0) AS deduplicated, "
       "COALESCE(sum(retried),0) AS retried, COALESCE(sum(dead_lettered),0) AS dead_lettered "
       "FROM queue_counters WHERE queue_name = $1",
       {name_}});
  const auto r = co_await pool_.execute(std::move(statements));
  const auto n = [](const std::optional<std::string>& v) { return v ? std::stoll(*v) : 0LL; };
  QueueStats s;
  s.backend = "postgres";
  const auto& g = r.at(0);
  s.visible = n(g.at(0, "visible"));
  s.in_flight = n(g.at(0, "in_flight"));
  s.delayed = n(g.at(0, "delayed"));
  s.dead_letter = n(g.at(0, "dead_letter"));
  if (const auto& oldest = g.at(0, "oldest"))
    s.oldest_age_ms = std::max<std::int64_t>(0, now_ms() - std::stoll(*oldest));
  const auto& c = r.at(1);
  s.sent = n(c.at(0, "sent"));
  s.received = n(c.at(0, "received"));
  s.deleted = n(c.at(0, "deleted"));
  s.deduplicated = n(c.at(0, "deduplicated"));
  s.retried = n(c.at(0, "retried"));
  s.dead_lettered = n(c.at(0, "dead_lettered"));
  co_return s;
}

}  // namespace orderflow::queue
