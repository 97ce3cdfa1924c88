#include "backends/mysql/mysql_queue.hpp"

#include <map>

#include "backends/mysql/mysql_schema.hpp"
#include "backends/mysql/mysql_sql_text.hpp"
#include "backends/sql/rows.hpp"
#include "base/ids.hpp"
#include "base/time.hpp"

namespace orderflow::backends {

namespace asio = boost::asio;
using mysql::Statement;

namespace {

const SqlFiles& sql = mysql_sql();

// Runs `first` (which starts with START TRANSACTION) and, with its results, the statements
// `then` gives (which end the transaction), on one leased connection; rolls back on a failure.
template <typename Then>
asio::awaitable<std::vector<mysql::Result>> two_step(mysql::Pool& pool,
                                                     std::vector<Statement> first, Then then) {
  auto lease = co_await pool.lease();
  std::exception_ptr failed;
  try {
    const auto found = co_await lease.execute(std::move(first));
    auto second = then(found);
    co_return co_await lease.execute(std::move(second));
  } catch (...) {
    failed = std::current_exception();
  }
  try {
    std::vector<Statement> rollback;
    rollback.push_back({"ROLLBACK", {}});
    co_await lease.execute(std::move(rollback));
  } catch (const std::exception&) {
    // A lost connection rolls back by itself.
  }
  std::rethrow_exception(failed);
}

}  // namespace

MysqlQueue::MysqlQueue(mysql::Pool& pool, queue::QueueOptions options, std::string name)
    : pool_(pool), options_(std::move(options)), name_(std::move(name)), node_(uuid_v7()) {}

void MysqlQueue::send_statements(std::vector<Statement>& out,
                                 std::span<const queue::OutgoingMessage* const> batch,
                                 const std::vector<std::string>& message_ids,
                                 std::int64_t now) const {
  const auto n = batch.size();
  const auto expires = now + options_.dedup_window.count();
  Statement claim{with_slot(sql["claim_dedup"], "rows", repeated("(?, ?, ?, ?)", n)), {}};
  Statement insert{
      with_slot(sql["insert_claimed"], "rows",
                "SELECT ? AS n, ? AS message_id, ? AS group_id, ? AS dedup_id, "
                "? AS body" +
                    (n > 1 ? " UNION ALL " + repeated("SELECT ?, ?, ?, ?, ?", n - 1, " UNION ALL ")
                           : std::string())),
      {name_, now, now}};
  Statement holders{with_slot(sql["dedup_holders"], "ids", repeated("?", n)), {name_}};
  for (std::size_t i = 0; i < n; ++i) {
    const auto dedup = queue::dedup_id_of(*batch[i]);
    claim.params.insert(claim.params.end(), {name_, dedup, message_ids[i], expires});
    insert.params.insert(insert.params.end(), {static_cast<std::int64_t>(i), message_ids[i],
                                               batch[i]->group_id, dedup, batch[i]->body});
    holders.params.push_back(dedup);
  }
  claim.params.insert(claim.params.end(), {now, now});
  insert.params.push_back(name_);
  out.push_back(std::move(claim));
  out.push_back(std::move(insert));
  out.push_back({sql["keep_row_count"], {}});
  out.push_back({sql["count_sent"], {name_, node_ + ":send", static_cast<std::int64_t>(n)}});
  out.push_back(std::move(holders));
}

std::vector<queue::SendResult> MysqlQueue::sent(
    std::span<const queue::OutgoingMessage* const> batch,
    const std::vector<std::string>& message_ids, const mysql::Result& holders) {
  std::map<std::string, std::string, std::less<>> holder_of;
  for (const auto row : holders.each_row())
    holder_of.emplace(row.text("dedup_id"), row.text("message_id"));
  std::vector<queue::SendResult> out;
  for (std::size_t i = 0; i < batch.size(); ++i) {
    const auto& holder = holder_of.at(queue::dedup_id_of(*batch[i]));
    out.push_back({holder, holder != message_ids[i]});
  }
  return out;
}

asio::awaitable<std::vector<queue::SendResult>> MysqlQueue::send(
    std::vector<queue::OutgoingMessage> batch) {
  std::vector<const queue::OutgoingMessage*> messages;
  std::vector<std::string> ids;
  for (const auto& m : batch) {
    messages.push_back(&m);
    ids.push_back(uuid_v7());
  }
  std::vector<Statement> statements;
  send_statements(statements, messages, ids, now_ms());
  const auto results = co_await pool_.execute(std::move(statements));
  notify_sent();
  co_return sent(messages, ids, results.back());
}

asio::awaitable<std::vector<queue::Message>> MysqlQueue::receive(std::size_t max,
                                                                 queue::milliseconds wait) {
  // Exhausted messages go to the dead letters; then each group's visible head is taken.
  const auto deadline = std::chrono::steady_clock::now() + wait;
  for (;;) {
    const auto seen = notifier_.generation();
    const auto now = now_ms();
    std::vector<Statement> lock;
    lock.push_back({"START TRANSACTION", {}});
    lock.push_back({sql["dead_letter_exhausted"], {now, name_, now, options_.max_retries}});
    lock.push_back({sql["keep_row_count"], {}});
    lock.push_back({sql["count_dead_lettered"], {name_, node_ + ":receive"}});
    lock.push_back({sql["receivable_heads"], {name_, now, static_cast<std::int64_t>(max)}});
    const auto token = uuid_v7();
    std::vector<queue::Message> got;
    co_await two_step(pool_, std::move(lock), [&](const std::vector<mysql::Result>& found) {
      std::vector<Statement> take;
      const auto& heads = found.back();
      if (!heads.rows.empty()) {
        Statement update{with_slot(sql["take"], "seqs", repeated("?", heads.rows.size())),
                         {token, now + options_.visibility_timeout.count()}};
        for (const auto row : heads.each_row()) {
          update.params.push_back(row.integer("seq"));
          got.push_back({row.text("message_id"), token + "." + row.text("seq"),
                         row.text("group_id"), row.text("body"),
                         static_cast<int>(row.integer("receive_count")) + 1,
                         row.integer("sent_at")});
        }
        take.push_back(std::move(update));
        take.push_back({sql["count_received"],
                        {name_, node_ + ":receive", static_cast<std::int64_t>(got.size())}});
      }
      take.push_back({"COMMIT", {}});
      return take;
    });
    const auto left = std::chrono::duration_cast<queue::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (!got.empty() || left.count() <= 0) co_return got;
    co_await notifier_.wait(seen, std::min(left, options_.poll_interval));
  }
}

void MysqlQueue::remove_statements(std::vector<Statement>& out,
                                   std::span<const queue::Message* const> delivered) const {
  Statement remove{with_slot(sql["remove"], "pairs", repeated("(?, ?)", delivered.size())), {}};
  for (const auto* m : delivered)
    remove.params.insert(remove.params.end(), {m->message_id, m->receipt});
  out.push_back(std::move(remove));
  out.push_back({sql["keep_row_count"], {}});
  out.push_back({sql["count_deleted"], {name_, node_ + ":apply"}});
  out.push_back({sql["kept_row_count"], {}});
}

asio::awaitable<bool> MysqlQueue::remove(const queue::Message& m) {
  const queue::Message* const delivered[] = {&m};
  std::vector<Statement> statements;
  remove_statements(statements, delivered);
  const auto r = co_await pool_.execute(std::move(statements));
  co_return r.back().row(0).integer("n") == 1;
}

void MysqlQueue::fail_statements(std::vector<Statement>& out, const queue::Message& m,
                                 const std::string& error, std::int64_t now) const {
  // The receipt names this delivery, so m.receive_count is the row's while the receipt holds.
  if (m.receive_count > options_.max_retries) {
    out.push_back({sql["dead_letter"], {error, now, m.message_id, m.receipt}});
    out.push_back({sql["keep_row_count"], {}});
    out.push_back({sql["count_dead_lettered"], {name_, node_ + ":apply"}});
  } else {
    const auto visible_at = now + queue::retry_delay(options_, m.receive_count).count();
    out.push_back({sql["release_for_retry"], {visible_at, error, m.message_id, m.receipt}});
    out.push_back({sql["keep_row_count"], {}});
    out.push_back({sql["count_retried"], {name_, node_ + ":apply"}});
  }
  out.push_back({sql["kept_row_count"], {}});
}

asio::awaitable<bool> MysqlQueue::fail(const queue::Message& m, std::string error) {
  std::vector<Statement> statements;
  fail_statements(statements, m, error, now_ms());
  const auto r = co_await pool_.execute(std::move(statements));
  co_return r.back().row(0).integer("n") == 1;
}

asio::awaitable<std::int64_t> MysqlQueue::purge() {
  mysql::Params params{name_};
  const auto r = co_await pool_.query(sql["purge"], std::move(params));
  co_return r.affected;
}

asio::awaitable<std::vector<queue::DeadLetter>> MysqlQueue::dead_letters(std::size_t limit) {
  mysql::Params params{name_, static_cast<std::int64_t>(limit)};
  const auto r = co_await pool_.query(sql["dead_letters"], std::move(params));
  std::vector<queue::DeadLetter> out;
  for (const auto row : r.each_row()) out.push_back(dead_letter_from_row(row));
  co_return out;
}

asio::awaitable<std::int64_t> MysqlQueue::redrive(std::vector<std::string> ids) {
  const auto now = now_ms();
  std::vector<Statement> lock;
  lock.push_back({"START TRANSACTION", {}});
  Statement select{
      with_slot(sql["dead_letters_to_redrive"], "only_ids",
                ids.empty() ? "" : "AND message_id IN (" + repeated("?", ids.size()) + ")"),
      {name_}};
  for (const auto& id : ids) select.params.push_back(id);
  lock.push_back(std::move(select));
  std::int64_t moved = 0;
  co_await two_step(pool_, std::move(lock), [&](const std::vector<mysql::Result>& found) {
    const auto& rows = found.back();
    moved = static_cast<std::int64_t>(rows.rows.size());
    std::vector<Statement> move;
    if (moved > 0) {
      Statement remove{with_slot(sql["delete_messages"], "ids", repeated("?", rows.rows.size())),
                       {}};
      Statement insert{with_slot(sql["insert_messages"], "rows",
                                 repeated("(?, ?, ?, ?, ?, ?, ?, ?)", rows.rows.size())),
                       {}};
      for (const auto row : rows.each_row()) {
        remove.params.push_back(row.text("message_id"));
        insert.params.insert(
            insert.params.end(),
            {row.text("message_id"), name_, row.text("group_id"), row.text("dedup_id"),
             row.text("body"), row.integer("sent_at"), now, row["last_error"]});
      }
      move.push_back(std::move(remove));
      move.push_back(std::move(insert));
    }
    move.push_back({"COMMIT", {}});
    return move;
  });
  if (moved > 0) notify_sent();
  co_return moved;
}

asio::awaitable<queue::QueueStats> MysqlQueue::stats() {
  const auto now = now_ms();
  std::vector<Statement> statements;
  statements.push_back({sql["queue_depths"], {now, now, now, name_}});
  statements.push_back({sql["queue_counters"], {name_}});
  const auto r = co_await pool_.execute(std::move(statements));
  queue::QueueStats s;
  s.backend = "mysql";
  read_queue_depths(r.at(0).row(0), now, s);
  read_queue_counters(r.at(1).row(0), s);
  co_return s;
}

}  // namespace orderflow::backends
