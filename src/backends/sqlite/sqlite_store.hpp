#pragma once
#include "backends/sqlite/sqlite_queue.hpp"
#include "core/ports/store.hpp"
#include "drivers/sqlite/database.hpp"

namespace orderflow::store {

class SqliteStore final : public Store {
 public:
  SqliteStore(sqlite::Database& db, queue::SqliteQueue& queue) : db_(db), queue_(queue) {}

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
  sqlite::Database& db_;
  queue::SqliteQueue& queue_;
};

}  // namespace orderflow::store

namespace orderflow::store {

class SqliteCartStore final : public CartStore {
 public:
  SqliteCartStore(sqlite::Database& db, std::chrono::milliseconds ttl) : db_(db), ttl_(ttl) {}

  boost::asio::awaitable<StoredCart> get(std::string session) override;
  boost::asio::awaitable<StoredCart> set_quantity(std::string session, std::string product_id,
                                                  std::int64_t quantity) override;
  boost::asio::awaitable<void> clear(std::string session) override;
  boost::asio::awaitable<std::int64_t> remove_expired() override;

 private:
  sqlite::Database& db_;
  std::chrono::milliseconds ttl_;
};

}  // namespace orderflow::store
