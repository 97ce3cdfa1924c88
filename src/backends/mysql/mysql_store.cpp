#include "backends/mysql/mysql_store.hpp"

#include <boost/json/serialize.hpp>

#include "backends/mysql/mysql_schema.hpp"
#include "backends/mysql/mysql_sql_text.hpp"
#include "backends/sql/sql_batch_applier.hpp"
#include "backends/sql/sql_catalog.hpp"
#include "backends/sql/sql_intake.hpp"
#include "backends/sql/sql_text.hpp"
#include "base/ids.hpp"
#include "base/time.hpp"

namespace orderflow::backends {

namespace asio = boost::asio;
using mysql::Statement;
using queue::Message;

namespace {

const SqlFiles& sql = mysql_sql();

// `sql` with its "IN ({ids})" slot for `ids`, after `before` values.
Statement with_ids(const std::string& sql_text, const std::vector<std::string>& ids,
                   mysql::Params before = {}) {
  auto s = MysqlDialect::with_ids(sql_text, ids);
  s.params.insert(s.params.begin(), before.begin(), before.end());
  return s;
}

// Writes a group of accepts: their messages and intake records. Returns each one's message id.
asio::awaitable<std::vector<std::string>> create(
    mysql::Pool& pool, MysqlQueue& queue, const std::vector<const ports::AcceptRequest*>& group) {
  std::vector<const queue::OutgoingMessage*> messages;
  std::vector<std::string> ids;
  Statement intake{with_slot(sql["insert_intake"], "rows",
                             repeated("(?, ?, ?, ?, (SELECT d.message_id FROM queue_dedup d "
                                      "WHERE d.queue_name = ? AND d.dedup_id = ?), ?)",
                                      group.size())),
                   {}};
  for (const auto* req : group) {
    messages.push_back(&req->message);
    ids.push_back(uuid_v7());
    intake.params.insert(intake.params.end(),
                         {req->order_id, req->idempotency_key, req->request_hash, req->request_json,
                          queue.name(), queue::dedup_id_of(req->message), req->accepted_at});
  }
  std::vector<Statement> create;
  queue.send_statements(create, messages, ids, now_ms());
  const auto holders_at = create.size() - 1;
  create.push_back(std::move(intake));
  const auto results = co_await pool.execute(std::move(create));
  queue.notify_sent();
  std::vector<std::string> message_ids;
  for (const auto& sent : MysqlQueue::sent(messages, ids, results.at(holders_at)))
    message_ids.push_back(sent.message_id);
  co_return message_ids;
}

// The queue is MysqlQueue, in the same database.
class MysqlQueueTableClaim final : public QueueTableClaim<Statement> {
 public:
  explicit MysqlQueueTableClaim(MysqlQueue& queue) : queue_(queue) {}
  std::vector<Statement> claim(const std::vector<std::string>& ids, std::int64_t) const override {
    return {with_ids(sql["lock_current_messages"], ids)};
  }

 private:
  void remove(std::vector<Statement>& writes,
              const std::vector<const Message*>& delivered) const override {
    queue_.remove_statements(writes, delivered);
  }
  void fail(std::vector<Statement>& writes, const Message& m, const std::string& error,
            std::int64_t now) const override {
    queue_.fail_statements(writes, m, error, now);
  }

  MysqlQueue& queue_;
};

// The queue is elsewhere: without RETURNING, a batch inserts its claims under its own name
// (INSERT IGNORE skips the ids already there) and reads back the ones under that name.
class MysqlInboxClaim final : public InboxClaim<Statement> {
 public:
  using InboxClaim::InboxClaim;
  std::vector<Statement> claim(const std::vector<std::string>& ids,
                               std::int64_t now) const override {
    const auto batch = uuid_v7();
    std::vector<Statement> out;
    if (!ids.empty()) {
      Statement insert{with_slot(sql["claim_inbox"], "rows", repeated("(?, ?, ?)", ids.size())),
                       {}};
      for (const auto& id : ids) insert.params.insert(insert.params.end(), {id, now, batch});
      out.push_back(std::move(insert));
    }
    out.push_back(with_ids(sql["claimed_by_batch"], ids, {batch}));
    return out;
  }

 protected:
  Statement release(const std::vector<std::string>& ids) const override {
    return with_ids(sql["release_inbox"], ids);
  }
  Statement expire(std::int64_t cutoff) const override { return {sql["expire_inbox"], {cutoff}}; }
};

// MySQL's statements of a batch: id lists as "IN (…)", writes as one multi-row statement per
// table.
class MysqlBatchStatements final : public BatchStatements<Statement> {
 public:
  void lock_orders(std::vector<Statement>& out,
                   const std::vector<std::string>& order_ids) const override {
    out.push_back(with_ids(sql["lock_orders"], order_ids));
    out.push_back(with_ids(sql["last_event_seqs"], order_ids));
  }
  Statement lock_products(const std::vector<std::string>& product_ids) const override {
    return with_ids(sql["lock_products"], product_ids);
  }
  void state_writes(std::vector<Statement>& writes, const domain::BatchState& state,
                    std::map<std::string, std::int64_t>& last_seq, bool keeps_intake,
                    std::int64_t now) const override {
    std::size_t saved = 0;
    Statement orders{{}, {}};
    for (const auto& id : state.changed_orders) {
      if (const auto& o = state.orders.at(id)) {
        auto values = order_values<MysqlDialect>(*o);
        orders.params.insert(orders.params.end(), values.begin(), values.end());
        ++saved;
      } else {
        writes.push_back({sql["delete_order"], {id}});
      }
    }
    if (saved)
      writes.push_back(
          {with_slot(sql["save_orders"], "rows", repeated("(" + repeated("?", 18) + ")", saved)),
           std::move(orders.params)});
    for (const auto& id : state.changed_products) {
      const auto& p = state.products.at(id);
      writes.push_back({sql["update_product_stock"], {p.stock, p.reserved, now, id}});
    }
    if (!state.events.empty()) {
      Statement events{
          with_slot(sql["insert_events"], "rows", repeated("(?, ?, ?, ?, ?)", state.events.size())),
          {}};
      for (const auto& e : state.events)
        events.params.insert(events.params.end(), {e.order_id, ++last_seq[e.order_id], e.type, e.at,
                                                   boost::json::serialize(e.data)});
      writes.push_back(std::move(events));
    }
    if (keeps_intake && !state.intake_updates.empty()) {
      mysql::Params cases;
      std::vector<std::string> ids;
      for (const auto& [id, st] : state.intake_updates) {
        cases.insert(cases.end(), {id, std::string(intake_state_name(st))});
        ids.push_back(id);
      }
      auto update = with_ids(
          with_slot(sql["set_intake_states"], "cases", repeated("WHEN ? THEN ?", ids.size(), " ")),
          ids, std::move(cases));
      writes.push_back(std::move(update));
    }
  }
};

class MysqlPendingIntake final : public PendingIntakeStatements<Statement> {
 public:
  Statement reserve(const std::vector<const ports::AcceptRequest*>& group) const override {
    Statement s{
        with_slot(sql["reserve_intake"], "rows", repeated("(?, ?, ?, ?, '', ?)", group.size())),
        {}};
    for (const auto* req : group)
      s.params.insert(s.params.end(), {req->order_id, req->idempotency_key, req->request_hash,
                                       req->request_json, req->accepted_at});
    return s;
  }
  Statement confirm(const std::vector<std::string>& order_ids,
                    const std::vector<std::string>& message_ids) const override {
    mysql::Params cases;
    for (std::size_t i = 0; i < order_ids.size(); ++i)
      cases.insert(cases.end(), {order_ids[i], message_ids.at(i)});
    return with_ids(
        with_slot(sql["confirm_intake"], "cases", repeated("WHEN ? THEN ?", order_ids.size(), " ")),
        order_ids, std::move(cases));
  }
  Statement withdraw(const std::vector<std::string>& order_ids) const override {
    return with_ids(sql["withdraw_intake"], order_ids);
  }
};

}  // namespace

std::unique_ptr<ports::Intake> make_mysql_intake_before_queue(mysql::Pool& pool,
                                                              queue::Queue& queue) {
  return make_intake_before_queue<mysql::Pool, MysqlDialect>(
      pool, queue, std::make_shared<MysqlPendingIntake>());
}

std::unique_ptr<ports::Catalog> make_mysql_catalog(MysqlDatabase& db) {
  return make_sql_catalog<MysqlDialect>(db);
}

std::unique_ptr<ports::Intake> make_mysql_intake(mysql::Pool& pool, MysqlQueue& queue) {
  return std::make_unique<SqlIntake<mysql::Pool, MysqlDialect>>(
      pool, [&pool, &queue](const auto& group) { return create(pool, queue, group); });
}

std::unique_ptr<ports::BatchApplier> make_mysql_batch_applier(MysqlDatabase& db,
                                                              MysqlQueue& queue) {
  return std::make_unique<SqlBatchApplier<MysqlDatabase>>(
      db, std::make_unique<MysqlBatchStatements>(), std::make_unique<MysqlQueueTableClaim>(queue));
}

std::unique_ptr<ports::BatchApplier> make_mysql_inbox_applier(MysqlDatabase& db, bool intake_here) {
  return std::make_unique<SqlBatchApplier<MysqlDatabase>>(
      db, std::make_unique<MysqlBatchStatements>(), std::make_unique<MysqlInboxClaim>(intake_here));
}

}  // namespace orderflow::backends
