#pragma once
#include "backends/redis/redis_queue.hpp"
#include "core/ports/store.hpp"

namespace orderflow::store {

// The store for QUEUE_BACKEND=redis: accepting an order touches Redis only. One Lua script
// checks the Idempotency-Key and the order id, queues the message and keeps the order's intake
// record (its queued snapshot) under the queue's keys, so a 202 is as durable as Redis is.
// Everything else is the database store `orders`, which runs without a queue of its own:
// a batch records its messages in the database's inbox table in the apply transaction and
// is then deleted from Redis, so a message redelivered after a lost deletion is applied once.
//
// An intake record stays while its order is queued and for the idempotency window after it
// was applied; a client-chosen order id the database knows is refused as well.
class RedisIntakeStore final : public Store {
 public:
  RedisIntakeStore(Store& orders, queue::RedisQueue& queue,
                   std::chrono::milliseconds idempotency_window)
      : orders_(orders), queue_(queue), idempotency_window_(idempotency_window) {}

  boost::asio::awaitable<AcceptResult> accept_order(AcceptRequest request) override;
  boost::asio::awaitable<OrderLookup> find_order(std::string order_id) override;
  boost::asio::awaitable<std::optional<KeyBinding>> find_key_binding(std::string key,
                                                                     std::int64_t since) override;
  boost::asio::awaitable<std::optional<std::vector<StoredEvent>>> order_events(
      std::string order_id) override;
  boost::asio::awaitable<BatchResult> apply_batch(std::vector<queue::Message> batch,
                                                  const domain::ProcessingRules& rules) override;

  boost::asio::awaitable<Page<domain::Order>> list_orders(OrderFilter f) override {
    return orders_.list_orders(std::move(f));
  }
  boost::asio::awaitable<OrderTotals> order_totals() override { return orders_.order_totals(); }
  boost::asio::awaitable<void> ping() override { return orders_.ping(); }
  bool lists_may_lag() const override { return orders_.lists_may_lag(); }
  boost::asio::awaitable<void> replicas_caught_up() override {
    return orders_.replicas_caught_up();
  }
  boost::asio::awaitable<std::vector<domain::Category>> list_categories() override {
    return orders_.list_categories();
  }
  boost::asio::awaitable<bool> create_category(domain::Category c) override {
    return orders_.create_category(std::move(c));
  }
  boost::asio::awaitable<Page<domain::CatalogProduct>> list_products(ProductFilter f) override {
    return orders_.list_products(std::move(f));
  }
  boost::asio::awaitable<std::vector<domain::CatalogProduct>> find_products(
      std::vector<std::string> ids) override {
    return orders_.find_products(std::move(ids));
  }
  boost::asio::awaitable<ProductWrite> create_product(domain::ProductFields f) override {
    return orders_.create_product(std::move(f));
  }
  boost::asio::awaitable<ProductWrite> update_product(std::string id,
                                                      domain::ProductFields f) override {
    return orders_.update_product(std::move(id), std::move(f));
  }
  boost::asio::awaitable<ProductWrite> change_inventory(std::string id,
                                                        domain::InventoryChange c) override {
    return orders_.change_inventory(std::move(id), std::move(c));
  }
  boost::asio::awaitable<bool> delete_product(std::string id) override {
    return orders_.delete_product(std::move(id));
  }
  boost::asio::awaitable<bool> load_demo_catalog(domain::DemoCatalog demo) override {
    return orders_.load_demo_catalog(std::move(demo));
  }

  // The key of an order's intake record.
  std::string intake_key(const std::string& order_id) const {
    return queue_.key_base() + "in:" + order_id;
  }

 private:
  Store& orders_;
  queue::RedisQueue& queue_;
  std::chrono::milliseconds idempotency_window_;
};

}  // namespace orderflow::store
