#include "backends/postgres/pg_batch_applier.hpp"

#include <boost/json/serialize.hpp>

#include "backends/postgres/pg_dialect.hpp"
#include "backends/postgres/pg_params.hpp"
#include "backends/postgres/pg_schema.hpp"
#include "backends/sql/rows.hpp"
#include "backends/sql/sql_batch_applier.hpp"
#include "backends/sql/sql_text.hpp"
#include "base/time.hpp"

namespace orderflow::backends {

namespace asio = boost::asio;
namespace json = boost::json;
using pg::Statement;
using queue::Message;

namespace {

const SqlFiles& sql = pg_sql();

// The queue is PgQueue, in the same database.
class PgQueueTableClaim final : public QueueTableClaim<Statement> {
 public:
  explicit PgQueueTableClaim(PgQueue& queue) : queue_(queue) {}
  std::vector<Statement> claim(const std::vector<std::string>& ids, std::int64_t) const override {
    return {{sql["lock_current_messages"], {pg::text_array(ids)}}};
  }

 private:
  void remove(std::vector<Statement>& writes,
              const std::vector<const Message*>& delivered) const override {
    writes.push_back(queue_.remove_statement(delivered));
  }
  void fail(std::vector<Statement>& writes, const Message& m, const std::string& error,
            std::int64_t now) const override {
    writes.push_back(queue_.fail_statement(m, error, now));
  }

  PgQueue& queue_;
};

// The queue is elsewhere: claims by INSERT … ON CONFLICT DO NOTHING RETURNING.
class PgInboxClaim final : public InboxClaim<Statement> {
 public:
  using InboxClaim::InboxClaim;
  std::vector<Statement> claim(const std::vector<std::string>& ids,
                               std::int64_t now) const override {
    return {{sql["claim_inbox"], {pg::text_array(ids), text_of(now)}}};
  }

 protected:
  Statement release(const std::vector<std::string>& ids) const override {
    return {sql["release_inbox"], {pg::text_array(ids)}};
  }
  Statement expire(std::int64_t cutoff) const override {
    return {sql["expire_inbox"], {text_of(cutoff)}};
  }
};

// PostgreSQL's statements of a batch: id lists as arrays, writes one statement per table
// (unnest).
class PgBatchStatements final : public BatchStatements<Statement> {
 public:
  void lock_orders(std::vector<Statement>& out,
                   const std::vector<std::string>& order_ids) const override {
    const auto ids = pg::text_array(order_ids);
    out.push_back({sql["lock_orders"], {ids}});
    out.push_back({sql["last_event_seqs"], {ids}});
  }
  Statement lock_products(const std::vector<std::string>& product_ids) const override {
    return {sql["lock_products"], {pg::text_array(product_ids)}};
  }
  void state_writes(std::vector<Statement>& writes, const domain::BatchState& state,
                    std::map<std::string, std::int64_t>& last_seq, bool keeps_intake,
                    std::int64_t now) const override;
};

void PgBatchStatements::state_writes(std::vector<Statement>& writes,
                                     const domain::BatchState& state,
                                     std::map<std::string, std::int64_t>& last_seq,
                                     bool keeps_intake, std::int64_t now) const {
  pg::ArrayColumns orders(18), events(5), intake_states(2);
  for (const auto& id : state.changed_orders) {
    if (const auto& o = state.orders.at(id))
      orders.add_row(order_values<PgDialect>(*o));
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

std::unique_ptr<ports::BatchApplier> make_pg_batch_applier(PgDatabase& db, PgQueue& queue) {
  return std::make_unique<SqlBatchApplier<PgDatabase>>(db, std::make_unique<PgBatchStatements>(),
                                                       std::make_unique<PgQueueTableClaim>(queue));
}

std::unique_ptr<ports::BatchApplier> make_pg_inbox_applier(PgDatabase& db, bool intake_here) {
  return std::make_unique<SqlBatchApplier<PgDatabase>>(db, std::make_unique<PgBatchStatements>(),
                                                       std::make_unique<PgInboxClaim>(intake_here));
}

}  // namespace orderflow::backends
