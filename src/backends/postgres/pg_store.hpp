#pragma once
#include <atomic>
#include <mutex>

#include "backends/postgres/pg_queue.hpp"
#include "core/ports/store.hpp"
#include "drivers/pg/group_commit.hpp"
#include "drivers/pg/pool.hpp"
#include "drivers/pg/replicas.hpp"

namespace orderflow::store {

// The store on PostgreSQL, sharing the database with PgQueue so that an accept (intake +
// message) and a worker batch (changes + message deletion) are each one transaction.
// Without a PgQueue (the queue is elsewhere), accept_order is not available, and a batch
// records its message ids in the inbox table instead: a message already there was applied
// before (a redelivery) and is reported as already_applied, not applied again.
// With read replicas, lists (orders, products, categories) and order totals are read through
// `reads`; everything else, including orders by id, their events, products by id (they carry the
// stock a checkout acts on) and idempotency checks, reads the primary.
class PgStore final : public Store {
 public:
  ~PgStore() override;
  PgStore(pg::Pool& pool, queue::PgQueue* queue, pg::ReadRouter* reads = nullptr)
      : pool_(pool), queue_(queue), reads_(reads), accepts_(pool) {}

  boost::asio::awaitable<AcceptResult> accept_order(AcceptRequest request) override;
  boost::asio::awaitable<OrderLookup> find_order(std::string order_id) override;
  boost::asio::awaitable<std::optional<KeyBinding>> find_key_binding(std::string key,
                                                                     std::int64_t since) override;
  boost::asio::awaitable<Page<domain::Order>> list_orders(OrderFilter filter) override;
  boost::asio::awaitable<std::optional<std::vector<StoredEvent>>> order_events(
      std::string order_id) override;
  boost::asio::awaitable<OrderTotals> order_totals() override;
  boost::asio::awaitable<BatchResult> apply_batch(std::vector<queue::Message> batch,
                                                  const domain::ProcessingRules& rules) override;
  boost::asio::awaitable<void> ping() override;
  bool lists_may_lag() const override { return reads_ && reads_->has_replicas(); }
  boost::asio::awaitable<void> replicas_caught_up() override;

  boost::asio::awaitable<std::vector<domain::Category>> list_categories() override;
  boost::asio::awaitable<bool> create_category(domain::Category c) override;
  boost::asio::awaitable<Page<domain::CatalogProduct>> list_products(ProductFilter f) override;
  boost::asio::awaitable<std::vector<domain::CatalogProduct>> find_products(
      std::vector<std::string> ids) override;
  boost::asio::awaitable<ProductWrite> create_product(domain::ProductFields f) override;
  boost::asio::awaitable<ProductWrite> update_product(std::string id,
                                                      domain::ProductFields f) override;
  boost::asio::awaitable<ProductWrite> change_inventory(std::string id,
                                                        domain::InventoryChange c) override;
  boost::asio::awaitable<bool> delete_product(std::string id) override;
  boost::asio::awaitable<bool> load_demo_catalog(domain::DemoCatalog demo) override;

 private:
  // A read that may be slightly stale: on a replica when there are any.
  boost::asio::awaitable<std::vector<pg::Result>> read(std::vector<pg::Statement> statements);
  // After a write that lists show: this process's next lists must see it.
  boost::asio::awaitable<void> wrote();
  // Deletes inbox entries too old to meet their message again (at most once an hour).
  boost::asio::awaitable<void> forget_old_inbox_entries();

  pg::Pool& pool_;
  queue::PgQueue* queue_;  // null: the inbox table instead
  pg::ReadRouter* reads_;
  // Concurrent accepts are sent as one transaction: one fsync for many orders.
  pg::GroupCommit accepts_;
  std::atomic<std::int64_t> inbox_swept_at_{0};
};

class PgCartStore final : public CartStore {
 public:
  PgCartStore(pg::Pool& pool, std::chrono::milliseconds ttl) : pool_(pool), ttl_(ttl) {}

  boost::asio::awaitable<StoredCart> get(std::string session) override;
  boost::asio::awaitable<StoredCart> set_quantity(std::string session, std::string product_id,
                                                  std::int64_t quantity) override;
  boost::asio::awaitable<void> clear(std::string session) override;
  boost::asio::awaitable<std::int64_t> remove_expired() override;

 private:
  pg::Pool& pool_;
  std::chrono::milliseconds ttl_;
};

}  // namespace orderflow::store
