#pragma once
#include "backends/postgres/pg_database.hpp"
#include "backends/postgres/pg_queue.hpp"
#include "core/ports/health_probe.hpp"
#include "core/ports/intake.hpp"
#include "core/ports/order_reads.hpp"
#include "drivers/pg/group_commit.hpp"

namespace orderflow::backends {

// Orders on PostgreSQL: by id from the primary, lists and totals through the replicas.
class PgOrders final : public ports::OrderReads, public ports::HealthProbe {
 public:
  explicit PgOrders(PgDatabase& db) : db_(db) {}

  boost::asio::awaitable<ports::OrderLookup> find_order(std::string order_id) override;
  boost::asio::awaitable<std::optional<std::vector<ports::StoredEvent>>> order_events(
      std::string order_id) override;
  boost::asio::awaitable<ports::Page<domain::Order>> list_orders(
      ports::OrderFilter filter) override;
  boost::asio::awaitable<ports::OrderTotals> order_totals() override;
  boost::asio::awaitable<void> ping() override;

 private:
  PgDatabase& db_;
};

// The intake when the queue is PgQueue in the same database: the intake record and the
// message in one transaction. Concurrent accepts are sent as one transaction (group commit:
// one fsync for many orders).
class PgIntake final : public ports::Intake {
 public:
  PgIntake(pg::Pool& pool, backends::PgQueue& queue) : pool_(pool), queue_(queue), accepts_(pool) {}

  boost::asio::awaitable<ports::AcceptResult> accept(ports::AcceptRequest request) override;
  boost::asio::awaitable<std::optional<ports::KeyBinding>> find_key_binding(
      std::string key, std::int64_t since) override;

 private:
  pg::Pool& pool_;
  backends::PgQueue& queue_;
  pg::GroupCommit accepts_;
};

}  // namespace orderflow::backends
