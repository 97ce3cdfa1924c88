#pragma once
#include "queue/sqlite_queue.hpp"
#include "sqlite/database.hpp"
#include "store/store.hpp"

namespace orderflow::store {

class SqliteStore final : public Store {
 public:
  SqliteStore(sqlite::Database& db, queue::SqliteQueue& queue) : db_(db), queue_(queue) {}

  boost::asio::awaitable<AcceptResult> accept_order(AcceptRequest request) override;
  boost::asio::awaitable<OrderLookup> find_order(std::string order_id) override;
  boost::asio::awaitable<Page<domain::Order>> list_orders(OrderFilter filter) override;
  boost::asio::awaitable<std::optional<std::vector<StoredEvent>>> order_events(
      std::string order_id) override;
  boost::asio::awaitable<OrderTotals> order_totals() override;
  boost::asio::awaitable<BatchResult> apply_batch(std::vector<queue::Message> batch,
                                                  const domain::ProcessingRules& rules) override;
  boost::asio::awaitable<void> ping() override;

 private:
  sqlite::Database& db_;
  queue::SqliteQueue& queue_;
};

}  // namespace orderflow::store
