#pragma once
#include <memory>

#include "backends/postgres/pg_database.hpp"
#include "backends/postgres/pg_queue.hpp"
#include "core/ports/health_probe.hpp"
#include "core/ports/intake.hpp"
#include "core/ports/order_reads.hpp"

namespace orderflow::backends {

// Orders on PostgreSQL: by id from the primary, lists and totals through the replicas.
class PgOrders final : public ports::OrderReads, public ports::HealthProbe {
 public:
  explicit PgOrders(PgDatabase& db) : db_(db) {}

  boost::asio::awaitable<ports::OrderLookup> find_order(std::string order_id) override;
  boost::asio::awaitable<std::optional<std::vector<ports::StoredEvent>>> order_events(
      std::string order_id) override;
  boost::asio::awaitable<ports::OrderPage> list_orders(ports::OrderFilter filter) override;
  boost::asio::awaitable<ports::OrderTotals> order_totals() override;
  boost::asio::awaitable<void> ping() override;

 private:
  PgDatabase& db_;
};

// The intake when the queue is PgQueue in the same database: the intake record and the
// message in one transaction, concurrent accepts sent as one transaction (group commit).
std::unique_ptr<ports::Intake> make_pg_intake(pg::Pool& pool, PgQueue& queue);

}  // namespace orderflow::backends
