#pragma once
// The worker's batch on an SQL server, written once for PostgreSQL and MySQL: claims the
// messages, locks and loads the orders and products they touch (in id order, so that
// concurrent batches cannot deadlock), runs domain::apply_all, writes what changed and settles
// the messages, in one transaction. What differs between the databases is the statements: a
// backend gives them as a BatchStatements, and the claim as a MessageClaim (the queue's own
// table, where applied messages are deleted in the same transaction; or the inbox table, when
// the queue is in another system).
#include <boost/asio/awaitable.hpp>
#include <boost/json/serialize.hpp>

#include <atomic>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "backends/sql/rows.hpp"
#include "base/time.hpp"
#include "core/ports/batch_applier.hpp"
#include "drivers/sqlclient/text_result.hpp"
#include "drivers/sqlclient/transaction.hpp"

namespace orderflow::backends {

// An order's columns as statement values, in the order of the orders table (order_id, status,
// customer_id, customer_name, customer_email, currency, items, subtotal, tax, total,
// failure_reason, session_id, payment_method, shipping_address, created_at, updated_at,
// processed_at, version).
template <class Dialect>
decltype(Dialect::Statement::params) order_values(const domain::Order& o) {
  return {Dialect::value(o.order_id),
          Dialect::value(std::string(domain::to_string(o.status))),
          Dialect::value(o.customer_id),
          Dialect::value(o.customer_name),
          Dialect::value(o.customer_email),
          Dialect::value(o.currency),
          Dialect::value(boost::json::serialize(domain::lines_to_storage_json(o.items))),
          Dialect::value(o.subtotal),
          Dialect::value(o.tax),
          Dialect::value(o.total),
          Dialect::value(o.failure_reason),
          Dialect::value(o.session_id),
          Dialect::value(o.payment_method),
          Dialect::value(boost::json::serialize(o.shipping_address)),
          Dialect::value(o.created_at),
          Dialect::value(o.updated_at),
          Dialect::value(o.processed_at),
          Dialect::value(o.version)};
}

// How a batch claims its messages and settles them.
template <class Statement>
class MessageClaim {
 public:
  virtual ~MessageClaim() = default;
  // Statements whose last result has (message_id, receipt) of the messages this batch may apply.
  virtual std::vector<Statement> claim(const std::vector<std::string>& ids,
                                       std::int64_t now) const = 0;
  // A message the claim did not return: another delivery owns it, or it was applied before.
  virtual void not_claimed(ports::BatchResult& result, const std::string& id) const = 0;
  // Whether a claimed delivery is this batch's own (its receipt is still current).
  virtual bool owns(const queue::Message& m, const std::string& receipt) const = 0;
  virtual void settle(std::vector<Statement>& writes,
                      const std::vector<const queue::Message*>& applied,
                      const std::vector<std::pair<const queue::Message*, std::string>>& failed,
                      std::int64_t now) const = 0;
  // Whether the intake records live in this database (else the queue's system keeps them).
  virtual bool keeps_intake() const = 0;
  // Housekeeping after a commit, as statements to run (none by default).
  virtual std::vector<Statement> after_commit() { return {}; }
};

// The queue is in the same database: the claim locks the messages (their current receipts),
// and the transaction deletes applied ones and retries or dead-letters failed ones. A backend
// gives the claim's and the settlement's statements.
template <class Statement>
class QueueTableClaim : public MessageClaim<Statement> {
 public:
  void not_claimed(ports::BatchResult& result, const std::string& id) const override {
    result.stale.push_back(id);
  }
  bool owns(const queue::Message& m, const std::string& receipt) const override {
    return receipt == m.receipt;
  }
  bool keeps_intake() const override { return true; }
  void settle(std::vector<Statement>& writes, const std::vector<const queue::Message*>& applied,
              const std::vector<std::pair<const queue::Message*, std::string>>& failed,
              std::int64_t now) const override {
    if (!applied.empty()) remove(writes, applied);
    for (const auto& [m, error] : failed) fail(writes, *m, error, now);
  }

 protected:
  // The queue's statements that delete delivered messages, and retry or dead-letter one.
  virtual void remove(std::vector<Statement>& writes,
                      const std::vector<const queue::Message*>& delivered) const = 0;
  virtual void fail(std::vector<Statement>& writes, const queue::Message& m,
                    const std::string& error, std::int64_t now) const = 0;
};

// The queue is in another system, which redelivers a message whose deletion was lost: the
// claim records the ids in the inbox table, and one already there was applied before. A
// concurrent batch with the same message waits for that one's commit, then finds it. The
// caller settles the messages with the queue after the commit; failed ones leave the inbox so
// that their retry applies. A backend gives the claim's and the release's statements, and the
// one that forgets old entries.
template <class Statement>
class InboxClaim : public MessageClaim<Statement> {
 public:
  // `intake_here`: the intake records are in this database too (SQS), not in the queue's
  // system (Redis).
  explicit InboxClaim(bool intake_here) : intake_here_(intake_here) {}
  void not_claimed(ports::BatchResult& result, const std::string& id) const override {
    result.already_applied.push_back(id);
  }
  bool owns(const queue::Message&, const std::string&) const override { return true; }
  bool keeps_intake() const override { return intake_here_; }
  void settle(std::vector<Statement>& writes, const std::vector<const queue::Message*>&,
              const std::vector<std::pair<const queue::Message*, std::string>>& failed,
              std::int64_t) const override {
    if (failed.empty()) return;
    std::vector<std::string> ids;
    for (const auto& [m, error] : failed) ids.push_back(m->message_id);
    writes.push_back(release(ids));
  }
  // Deletes inbox entries too old to meet their message again (at most once an hour): a
  // message is redelivered within its retries, or after a redrive; a week covers both.
  std::vector<Statement> after_commit() override {
    constexpr std::int64_t kKeep = 7 * 24 * 3'600'000LL, kEvery = 3'600'000;
    const auto now = now_ms();
    auto last = swept_at_.load();
    if (now - last < kEvery || !swept_at_.compare_exchange_strong(last, now)) return {};
    return {expire(now - kKeep)};
  }

 protected:
  // Deletes the entries applied before `cutoff`.
  virtual Statement expire(std::int64_t cutoff) const = 0;
  // Deletes these messages' entries (their delivery failed: the retry must apply).
  virtual Statement release(const std::vector<std::string>& ids) const = 0;

 private:
  bool intake_here_;
  std::atomic<std::int64_t> swept_at_{0};
};

// The statements of a batch that depend on the database.
template <class Statement>
class BatchStatements {
 public:
  virtual ~BatchStatements() = default;
  // Two statements: the orders (locked, in id order), then the last event number of each
  // (columns order_id, seq).
  virtual void lock_orders(std::vector<Statement>& out,
                           const std::vector<std::string>& order_ids) const = 0;
  // The products (locked, in id order): product_id, sku, name, price, stock, reserved.
  virtual Statement lock_products(const std::vector<std::string>& product_ids) const = 0;
  // What the batch changed: orders saved or deleted, stock, events numbered on from last_seq,
  // and intake states when this database keeps the intake records.
  virtual void state_writes(std::vector<Statement>& out, const domain::BatchState& state,
                            std::map<std::string, std::int64_t>& last_seq, bool keeps_intake,
                            std::int64_t now) const = 0;
};

template <class Db>
class SqlBatchApplier final : public ports::BatchApplier {
 public:
  using Statement = typename Db::Pool::Statement;

  SqlBatchApplier(Db& db, std::unique_ptr<BatchStatements<Statement>> statements,
                  std::unique_ptr<MessageClaim<Statement>> claim)
      : db_(db), statements_(std::move(statements)), claim_(std::move(claim)) {}

  boost::asio::awaitable<ports::BatchResult> apply_batch(
      std::vector<queue::Message> batch, const domain::ProcessingRules& rules) override {
    auto outcome = co_await sqlclient::in_transaction<ports::BatchResult>(
        db_.primary(), [&](typename Db::Lease& tx) { return apply_in(tx, batch, rules); });
    if (!outcome.applied.empty()) co_await db_.wrote();
    auto housekeeping = claim_->after_commit();
    if (!housekeeping.empty()) co_await db_.primary().execute(std::move(housekeeping));
    co_return outcome;
  }

 private:
  // What a batch reads, locked: its orders and their last event numbers, then its products.
  struct Snapshot {
    domain::BatchState state;
    std::map<std::string, std::int64_t> last_seq;
  };

  boost::asio::awaitable<Snapshot> load_snapshot(typename Db::Lease& tx,
                                                 const std::vector<domain::OrderMessage>& bodies) {
    Snapshot out;
    std::set<std::string> order_ids;
    for (const auto& b : bodies) order_ids.insert(domain::message_order_id(b));
    std::vector<Statement> load;
    statements_->lock_orders(load, {order_ids.begin(), order_ids.end()});
    const auto loaded = co_await tx.execute(std::move(load));
    for (const auto& id : order_ids) out.state.orders[id] = std::nullopt;
    for (const auto row : loaded.at(loaded.size() - 2).each_row())
      out.state.orders[row.text("order_id")] = order_from_row(row);
    for (const auto row : loaded.back().each_row())
      out.last_seq[row.text("order_id")] = row.integer("seq");
    const auto product_ids = domain::products_needed(bodies, out.state);
    if (product_ids.empty()) co_return out;
    std::vector<Statement> products;
    products.push_back(statements_->lock_products({product_ids.begin(), product_ids.end()}));
    // Named: a range-for over a member of a temporary would outlive the temporary.
    const auto locked = co_await tx.execute(std::move(products));
    for (const auto row : locked.at(0).each_row())
      out.state.products[row.text("product_id")] =
          domain::Product{row.text("product_id"), row.text("sku"),      row.text("name"),
                          row.integer("price"),   row.integer("stock"), row.integer("reserved")};
    co_return out;
  }

  // Runs again when the transaction is retried: reads the batch, never moves from it.
  boost::asio::awaitable<ports::BatchResult> apply_in(typename Db::Lease& tx,
                                                      const std::vector<queue::Message>& batch,
                                                      const domain::ProcessingRules& rules) {
    using queue::Message;
    ports::BatchResult result;
    const auto now = now_ms();
    std::vector<std::string> ids;
    for (const auto& m : batch) ids.push_back(m.message_id);
    const auto claimed = co_await tx.execute(claim_->claim(ids, now));
    std::map<std::string, std::string> receipts;
    for (const auto row : claimed.back().each_row())
      receipts[row.text("message_id")] = row["receipt"].value_or("");

    std::vector<std::pair<const Message*, std::string>> failed;
    std::vector<const Message*> work;
    std::vector<domain::OrderMessage> bodies;
    for (const auto& m : batch) {
      const auto it = receipts.find(m.message_id);
      if (it == receipts.end()) {
        claim_->not_claimed(result, m.message_id);
      } else if (!claim_->owns(m, it->second)) {
        result.stale.push_back(m.message_id);
      } else {
        try {
          bodies.push_back(domain::decode_message(m.body));
          work.push_back(&m);
        } catch (const std::exception& e) {
          failed.emplace_back(&m, e.what());
        }
      }
    }
    auto snapshot = co_await load_snapshot(tx, bodies);
    const auto outcome = domain::apply_all(std::move(snapshot.state), bodies, rules, now);
    std::vector<bool> applied(work.size(), true);
    for (const auto& [i, error] : outcome.failed) {
      applied[i] = false;
      failed.emplace_back(work[i], error);
    }
    std::vector<const Message*> done;
    for (std::size_t i = 0; i < work.size(); ++i)
      if (applied[i]) done.push_back(work[i]);

    std::vector<Statement> writes;
    statements_->state_writes(writes, outcome.state, snapshot.last_seq, claim_->keeps_intake(),
                              now);
    claim_->settle(writes, done, failed, now);
    if (!writes.empty()) co_await tx.execute(std::move(writes));
    for (const auto* m : done) result.applied.push_back(m->message_id);
    for (const auto& [m, error] : failed) result.failed.emplace_back(m->message_id, error);
    ports::record_outcome(result, outcome.state, bodies, applied);
    co_return result;
  }

  Db& db_;
  std::unique_ptr<BatchStatements<Statement>> statements_;
  std::unique_ptr<MessageClaim<Statement>> claim_;
};

}  // namespace orderflow::backends
