#include "backends/postgres/pg_batch_applier.hpp"

#include <boost/json/serialize.hpp>

#include <atomic>
#include <set>

#include "backends/postgres/pg_params.hpp"
#include "backends/postgres/pg_schema.hpp"
#include "backends/sql/rows.hpp"
#include "backends/sql/sql_text.hpp"
#include "base/time.hpp"
#include "drivers/pg/transaction.hpp"

namespace orderflow::backends {

namespace asio = boost::asio;
namespace json = boost::json;
using pg::Statement;
using queue::Message;

class MessageClaim {
 public:
  virtual ~MessageClaim() = default;
  // Returns (message_id, receipt) of the messages this batch may apply.
  virtual Statement claim(const std::vector<std::string>& ids, std::int64_t now) const = 0;
  // A message the claim did not return: another delivery owns it, or it was applied before.
  virtual void not_claimed(ports::BatchResult& result, const std::string& id) const = 0;
  // Whether a claimed delivery is this batch's own (its receipt is still current).
  virtual bool owns(const Message& m, const std::string& receipt) const = 0;
  virtual void settle(std::vector<Statement>& writes, const std::vector<const Message*>& applied,
                      const std::vector<std::pair<const Message*, std::string>>& failed,
                      std::int64_t now) const = 0;
  // Whether the intake records live in this database (else the queue's system keeps them).
  virtual bool keeps_intake() const = 0;
  virtual asio::awaitable<void> after_commit(pg::Pool&) { co_return; }
};

namespace {

const SqlFiles& sql = pg_sql();

// The queue is PgQueue, in the same database: the claim locks the messages, and the
// transaction deletes applied ones and retries or dead-letters failed ones.
class QueueTableClaim final : public MessageClaim {
 public:
  explicit QueueTableClaim(backends::PgQueue& queue) : queue_(queue) {}
  Statement claim(const std::vector<std::string>& ids, std::int64_t) const override {
    return {sql["lock_current_messages"], {pg::text_array(ids)}};
  }
  void not_claimed(ports::BatchResult& result, const std::string& id) const override {
    result.stale.push_back(id);
  }
  bool owns(const Message& m, const std::string& receipt) const override {
    return receipt == m.receipt;
  }
  void settle(std::vector<Statement>& writes, const std::vector<const Message*>& applied,
              const std::vector<std::pair<const Message*, std::string>>& failed,
              std::int64_t now) const override {
    if (!applied.empty()) writes.push_back(queue_.remove_statement(applied));
    for (const auto& [m, error] : failed) writes.push_back(queue_.fail_statement(*m, error, now));
  }
  bool keeps_intake() const override { return true; }

 private:
  backends::PgQueue& queue_;
};

// The queue is in another system, which redelivers a message whose deletion was lost: the
// claim records the ids in the inbox table, and one already there was applied before. A
// concurrent batch with the same message waits for that one's commit, then finds it. The
// caller settles the messages with the queue after the commit; failed ones leave the inbox so
// that their retry applies.
class InboxClaim final : public MessageClaim {
 public:
  Statement claim(const std::vector<std::string>& ids, std::int64_t now) const override {
    return {sql["claim_inbox"], {pg::text_array(ids), text_of(now)}};
  }
  void not_claimed(ports::BatchResult& result, const std::string& id) const override {
    result.already_applied.push_back(id);
  }
  bool owns(const Message&, const std::string&) const override { return true; }
  void settle(std::vector<Statement>& writes, const std::vector<const Message*>&,
              const std::vector<std::pair<const Message*, std::string>>& failed,
              std::int64_t) const override {
    if (failed.empty()) return;
    std::vector<std::string> ids;
    for (const auto& [m, error] : failed) ids.push_back(m->message_id);
    writes.push_back({sql["release_inbox"], {pg::text_array(ids)}});
  }
  bool keeps_intake() const override { return false; }
  // Deletes inbox entries too old to meet their message again (at most once an hour): a
  // message is redelivered within its retries, or after a redrive; a week covers both.
  asio::awaitable<void> after_commit(pg::Pool& pool) override {
    constexpr std::int64_t kKeep = 7 * 24 * 3'600'000LL, kEvery = 3'600'000;
    const auto now = now_ms();
    auto last = swept_at_.load();
    if (now - last < kEvery || !swept_at_.compare_exchange_strong(last, now)) co_return;
    pg::Params cutoff{text_of(now - kKeep)};
    co_await pool.query(sql["expire_inbox"], std::move(cutoff));
  }

 private:
  std::atomic<std::int64_t> swept_at_{0};
};

pg::Params order_row(const domain::Order& o) {
  return {o.order_id,
          std::string(domain::to_string(o.status)),
          o.customer_id,
          o.customer_name,
          o.customer_email,
          o.currency,
          json::serialize(domain::lines_to_storage_json(o.items)),
          text_of(o.subtotal),
          text_of(o.tax),
          text_of(o.total),
          o.failure_reason,
          o.session_id,
          o.payment_method,
          json::serialize(o.shipping_address),
          text_of(o.created_at),
          text_of(o.updated_at),
          text_of(o.processed_at),
          text_of(o.version)};
}

// What a batch reads, locked: its orders and their last event numbers, then its products.
struct Snapshot {
  domain::BatchState state;
  std::map<std::string, std::int64_t> last_seq;
};

asio::awaitable<Snapshot> load_snapshot(pg::Pool::Lease& tx,
                                        const std::vector<domain::OrderMessage>& bodies) {
  Snapshot out;
  std::set<std::string> order_ids;
  for (const auto& b : bodies) order_ids.insert(domain::message_order_id(b));
  const auto order_array = pg::text_array({order_ids.begin(), order_ids.end()});
  std::vector<Statement> load;
  load.push_back({sql["lock_orders"], {order_array}});
  load.push_back({sql["last_event_seqs"], {order_array}});
  const auto loaded = co_await tx.execute(std::move(load));
  for (const auto& id : order_ids) out.state.orders[id] = std::nullopt;
  for (const auto row : loaded.at(0).each_row())
    out.state.orders[row.text("order_id")] = order_from_row(row);
  for (const auto row : loaded.at(1).each_row())
    out.last_seq[row.text("order_id")] = row.integer("seq");
  const auto product_ids = domain::products_needed(bodies, out.state);
  if (product_ids.empty()) co_return out;
  std::vector<Statement> products;
  products.push_back(
      {sql["lock_products"], {pg::text_array({product_ids.begin(), product_ids.end()})}});
  // Named: a range-for over a member of a temporary would outlive the temporary.
  const auto locked = co_await tx.execute(std::move(products));
  for (const auto row : locked.at(0).each_row())
    out.state.products[row.text("product_id")] =
        domain::Product{row.text("product_id"), row.text("sku"),      row.text("name"),
                        row.integer("price"),   row.integer("stock"), row.integer("reserved")};
  co_return out;
}

// The statements that store what a batch changed.
void add_state_writes(std::vector<Statement>& writes, const domain::BatchState& state,
                      std::map<std::string, std::int64_t>& last_seq, bool keeps_intake,
                      std::int64_t now) {
  pg::ArrayColumns orders(18), events(5), intake_states(2);
  for (const auto& id : state.changed_orders) {
    if (const auto& o = state.orders.at(id))
      orders.add_row(order_row(*o));
    else
      writes.push_back({sql["delete_order"], {id}});
  }
  if (!orders.empty()) writes.push_back({sql["save_orders"], std::move(orders).done()});
  for (const auto& id : state.changed_products) {
    const auto& p = state.products.at(id);
    writes.push_back(
        {sql["update_product_stock"], {id, text_of(p.stock), text_of(p.reserved), text_of(now)}});
  }
  for (const auto& e : state.events)
    events.add_row({e.order_id, text_of(++last_seq[e.order_id]), e.type, text_of(e.at),
                    json::serialize(e.data)});
  if (!events.empty()) writes.push_back({sql["insert_events"], std::move(events).done()});
  if (keeps_intake)
    for (const auto& [id, st] : state.intake_updates)
      intake_states.add_row({id, std::string(intake_state_name(st))});
  if (!intake_states.empty())
    writes.push_back({sql["set_intake_states"], std::move(intake_states).done()});
}

}  // namespace

PgBatchApplier::PgBatchApplier(PgDatabase& db, backends::PgQueue& queue)
    : db_(db), claim_(std::make_unique<QueueTableClaim>(queue)) {}
PgBatchApplier::PgBatchApplier(PgDatabase& db) : db_(db), claim_(std::make_unique<InboxClaim>()) {}
PgBatchApplier::~PgBatchApplier() = default;

asio::awaitable<ports::BatchResult> PgBatchApplier::apply_batch(
    std::vector<Message> batch, const domain::ProcessingRules& rules) {
  auto outcome = co_await pg::in_transaction<ports::BatchResult>(
      db_.primary(), [&](pg::Pool::Lease& tx) { return apply_in(tx, batch, rules); });
  if (!outcome.applied.empty()) co_await db_.wrote();
  co_await claim_->after_commit(db_.primary());
  co_return outcome;
}

// Runs again when the transaction is retried: reads the batch, never moves from it.
asio::awaitable<ports::BatchResult> PgBatchApplier::apply_in(pg::Pool::Lease& tx,
                                                             const std::vector<Message>& batch,
                                                             const domain::ProcessingRules& rules) {
  ports::BatchResult result;
  const auto now = now_ms();
  std::vector<std::string> ids;
  for (const auto& m : batch) ids.push_back(m.message_id);
  std::vector<Statement> claim;
  claim.push_back(claim_->claim(ids, now));
  const auto claimed = (co_await tx.execute(std::move(claim))).at(0);
  std::map<std::string, std::string> receipts;
  for (const auto row : claimed.each_row())
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
  add_state_writes(writes, outcome.state, snapshot.last_seq, claim_->keeps_intake(), now);
  claim_->settle(writes, done, failed, now);
  if (!writes.empty()) co_await tx.execute(std::move(writes));
  for (const auto* m : done) result.applied.push_back(m->message_id);
  for (const auto& [m, error] : failed) result.failed.emplace_back(m->message_id, error);
  ports::record_outcome(result, outcome.state, bodies, applied);
  co_return result;
}

}  // namespace orderflow::backends
