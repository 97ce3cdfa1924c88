#include "backends/postgres/pg_orders.hpp"

#include <boost/json/parse.hpp>

#include "backends/postgres/pg_dialect.hpp"
#include "backends/postgres/pg_params.hpp"
#include "backends/postgres/pg_schema.hpp"
#include "backends/sql/rows.hpp"
#include "base/time.hpp"
#include "drivers/sqlclient/group_commit.hpp"

namespace orderflow::backends {

namespace asio = boost::asio;
using pg::Statement;

namespace {

const SqlFiles& sql = pg_sql();
std::optional<ports::IntakeRecord> intake_record(const pg::Result& r) {
  if (r.rows.empty()) return std::nullopt;
  const auto row = r.row(0);
  return ports::IntakeRecord{row.text("order_id"), row.text("request_hash"), row.text("message_id"),
                             row.integer("created_at")};
}
}  // namespace

namespace {
// The intake when the queue is PgQueue in the same database: the intake records and the
// messages in one transaction. Concurrent accepts are written together (group commit: one
// fsync and one statement per table for many orders).
class PgIntake final : public ports::Intake {
 public:
  PgIntake(pg::Pool& pool, backends::PgQueue& queue)
      : pool_(pool),
        queue_(queue),
        accepts_(pool.executor(), [this](const auto& group) { return create(group); }) {}

  asio::awaitable<ports::AcceptResult> accept(ports::AcceptRequest req) override {
    // Look first; create when nothing binds. A concurrent twin that created in between shows up
    // as a unique violation: look again, and it replays.
    for (int attempt = 0; attempt < 3; ++attempt) {
      std::vector<Statement> look;
      if (req.idempotency_key) {
        look.push_back(
            {sql["release_expired_key"],
             {*req.idempotency_key, text_of(req.accepted_at - req.idempotency_window_ms)}});
        look.push_back({sql["intake_by_key"], {*req.idempotency_key}});
      }
      if (req.client_order_id) look.push_back({sql["intake_by_id"], {req.order_id}});
      // Not a conditional expression: GCC 12 miscompiles co_await inside one.
      std::vector<pg::Result> found;
      if (!look.empty()) found = co_await pool_.execute(std::move(look));
      // The key's record follows the statement that expires it; the id's record comes last.
      const auto by_key = req.idempotency_key ? intake_record(found.at(1)) : std::nullopt;
      const auto by_id = req.client_order_id ? intake_record(found.back()) : std::nullopt;
      if (auto bound = ports::decide_intake(req, by_key, by_id)) co_return *bound;
      try {
        auto message_id = co_await accepts_.submit(req);
        co_return ports::AcceptResult{ports::AcceptOutcome::created, req.order_id,
                                      std::move(message_id), req.accepted_at};
      } catch (const pg::QueryError& e) {
        if (e.sqlstate() != "23505") throw;
      }
    }
    throw std::runtime_error("order intake kept conflicting with concurrent requests");
  }

  // Writes a group of accepts: their messages, their intake records, one NOTIFY. Returns each
  // one's message id.
  asio::awaitable<std::vector<std::string>> create(
      const std::vector<const ports::AcceptRequest*>& group) {
    std::vector<const queue::OutgoingMessage*> messages;
    pg::ArrayLiteral order_ids, keys, hashes, requests, times, dedup_ids;
    for (const auto* req : group) {
      messages.push_back(&req->message);
      order_ids.add(req->order_id);
      keys.add(req->idempotency_key);
      hashes.add(req->request_hash);
      requests.add(req->request_json);
      times.add(text_of(req->accepted_at));
      dedup_ids.add(queue::dedup_id_of(req->message));
    }
    std::vector<Statement> create;
    create.push_back(queue_.send_statement(messages, now_ms()));
    create.push_back({sql["insert_intake"],
                      {std::move(order_ids).done(), std::move(keys).done(),
                       std::move(hashes).done(), std::move(requests).done(),
                       std::move(times).done(), queue_.name(), std::move(dedup_ids).done()}});
    create.push_back({sql["notify"], {queue_.channel()}});
    const auto results = co_await pool_.execute(std::move(create));
    queue_.notify_sent();
    std::vector<std::string> message_ids;
    for (const auto row : results.at(0).each_row())
      message_ids.push_back(row["message_id"].value_or(""));
    co_return message_ids;
  }

  asio::awaitable<std::optional<ports::KeyBinding>> find_key_binding(std::string key,
                                                                     std::int64_t since) override {
    pg::Params params{key, text_of(since)};
    const auto r = co_await pool_.query(sql["key_binding"], std::move(params));
    if (r.rows.empty()) co_return std::nullopt;
    const auto row = r.row(0);
    co_return ports::KeyBinding{
        {ports::AcceptOutcome::replayed, row.text("order_id"), row.text("message_id"),
         row.integer("created_at")},
        domain::order_request_from_message(boost::json::parse(row.text("request")).as_object())};
  }

 private:
  pg::Pool& pool_;
  backends::PgQueue& queue_;
  sqlclient::GroupCommit<ports::AcceptRequest, std::string, pg::QueryError> accepts_;
};
}  // namespace

std::unique_ptr<ports::Intake> make_pg_intake(pg::Pool& pool, PgQueue& queue) {
  return std::make_unique<PgIntake>(pool, queue);
}

}  // namespace orderflow::backends
