#pragma once
#include "backends/sqlite/sqlite_queue.hpp"
#include "core/ports/batch_applier.hpp"
#include "core/ports/health_probe.hpp"
#include "core/ports/intake.hpp"
#include "core/ports/order_reads.hpp"
#include "drivers/sqlite/database.hpp"

namespace orderflow::backends {

// Orders in the embedded file, beside their queue: an accept writes the intake record and the
// message in one transaction, and a batch is applied in the transaction that deletes its
// messages (exactly-once effects).
class SqliteOrders final : public ports::Intake,
                           public ports::OrderReads,
                           public ports::BatchApplier,
                           public ports::HealthProbe {
 public:
  SqliteOrders(sqlite::Database& db, backends::SqliteQueue& queue) : db_(db), queue_(queue) {}

  boost::asio::awaitable<ports::AcceptResult> accept(ports::AcceptRequest request) override;
  boost::asio::awaitable<std::optional<ports::KeyBinding>> find_key_binding(
      std::string key, std::int64_t since) override;
  boost::asio::awaitable<ports::OrderLookup> find_order(std::string order_id) override;
  boost::asio::awaitable<ports::OrderPage> list_orders(ports::OrderFilter filter) override;
  boost::asio::awaitable<std::optional<std::vector<ports::StoredEvent>>> order_events(
      std::string order_id) override;
  boost::asio::awaitable<ports::OrderTotals> order_totals() override;
  boost::asio::awaitable<ports::BatchResult> apply_batch(
      std::vector<queue::Message> batch, const domain::ProcessingRules& rules) override;
  boost::asio::awaitable<void> ping() override;

 private:
  sqlite::Database& db_;
  backends::SqliteQueue& queue_;
};

}  // namespace orderflow::backends
