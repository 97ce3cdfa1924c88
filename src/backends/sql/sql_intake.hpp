#pragma once
// The intake on an SQL server whose queue is in the same database, written once for PostgreSQL
// and MySQL (`Pool` the driver's pool, `Dialect` as in sql_catalog.hpp, the SQL the backend's
// orders.sql: release_expired_key, intake_by_key, intake_by_id, key_binding). Concurrent
// accepts are written together (group commit: one transaction, one statement per table for
// many orders) by `create`, which writes a group's messages and intake records and returns
// each one's message id.
#include <boost/asio/awaitable.hpp>
#include <boost/json/parse.hpp>

#include <functional>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "backends/sql/sql_files.hpp"
#include "core/ports/intake.hpp"
#include "drivers/sqlclient/group_commit.hpp"

namespace orderflow::backends {

template <class Pool, class Dialect>
class SqlIntake final : public ports::Intake {
 public:
  using Create = std::function<boost::asio::awaitable<std::vector<std::string>>(
      const std::vector<const ports::AcceptRequest*>&)>;

  SqlIntake(Pool& pool, Create create)
      : pool_(pool), accepts_(pool.executor(), std::move(create)) {}

  boost::asio::awaitable<ports::AcceptResult> accept(ports::AcceptRequest req) override {
    // Look first; create when nothing binds. A concurrent twin that created in between shows up
    // as a duplicate key: look again, and it replays.
    for (int attempt = 0; attempt < 3; ++attempt) {
      std::vector<Statement> look;
      if (req.idempotency_key) {
        look.push_back(
            {sql_["release_expired_key"],
             {*req.idempotency_key, Dialect::value(req.accepted_at - req.idempotency_window_ms)}});
        look.push_back({sql_["intake_by_key"], {*req.idempotency_key}});
      }
      if (req.client_order_id) look.push_back({sql_["intake_by_id"], {req.order_id}});
      // Not a conditional expression: GCC 12 miscompiles co_await inside one.
      std::vector<sqlclient::Result> found;
      if (!look.empty()) found = co_await pool_.execute(std::move(look));
      // The key's record follows the statement that expires it; the id's record comes last.
      const auto by_key = req.idempotency_key ? intake_record(found.at(1)) : std::nullopt;
      const auto by_id = req.client_order_id ? intake_record(found.back()) : std::nullopt;
      if (auto bound = ports::decide_intake(req, by_key, by_id)) co_return *bound;
      try {
        auto message_id = co_await accepts_.submit(req);
        co_return ports::AcceptResult{ports::AcceptOutcome::created, req.order_id,
                                      std::move(message_id), req.accepted_at};
      } catch (const typename Dialect::QueryError& e) {
        if (!Dialect::duplicate(e)) throw;
      }
    }
    throw std::runtime_error("order intake kept conflicting with concurrent requests");
  }

  boost::asio::awaitable<std::optional<ports::KeyBinding>> find_key_binding(
      std::string key, std::int64_t since) override {
    typename Pool::Params params{key, Dialect::value(since)};
    const auto r = co_await pool_.query(sql_["key_binding"], std::move(params));
    if (r.rows.empty()) co_return std::nullopt;
    const auto row = r.row(0);
    co_return ports::KeyBinding{
        {ports::AcceptOutcome::replayed, row.text("order_id"), row.text("message_id"),
         row.integer("created_at")},
        domain::order_request_from_message(boost::json::parse(row.text("request")).as_object())};
  }

 private:
  using Statement = typename Dialect::Statement;

  static std::optional<ports::IntakeRecord> intake_record(const sqlclient::Result& r) {
    if (r.rows.empty()) return std::nullopt;
    const auto row = r.row(0);
    return ports::IntakeRecord{row.text("order_id"), row.text("request_hash"),
                               row.text("message_id"), row.integer("created_at")};
  }

  Pool& pool_;
  const SqlFiles& sql_ = Dialect::sql();
  sqlclient::GroupCommit<ports::AcceptRequest, std::string, typename Dialect::QueryError> accepts_;
};

}  // namespace orderflow::backends
