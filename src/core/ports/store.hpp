#pragma once
#include <boost/asio/awaitable.hpp>

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "core/domain/catalog.hpp"
#include "core/domain/order.hpp"
#include "core/domain/processing.hpp"
#include "core/ports/queue.hpp"

namespace orderflow::store {

// One accepted order: the intake record (idempotency + the queued snapshot) and its queue
// message are made durable together.
struct AcceptRequest {
  std::string order_id;
  std::optional<std::string> idempotency_key;  // the Idempotency-Key header
  bool client_order_id = false;                // order_id came from the client
  std::string request_hash;
  std::string request_json;  // domain::to_message_json of the request
  queue::OutgoingMessage message;
  std::int64_t accepted_at = 0;
  std::int64_t idempotency_window_ms = 24 * 3600 * 1000;
};

enum class AcceptOutcome { created, replayed, idempotency_conflict, order_id_conflict };

struct AcceptResult {
  AcceptOutcome outcome = AcceptOutcome::created;
  std::string order_id, message_id;
  std::int64_t created_at = 0;
};

struct QueuedOrder {
  domain::OrderRequest request;
  std::int64_t accepted_at = 0;
};

// What an Idempotency-Key is bound to: the accepted order and the request it carried.
struct KeyBinding {
  AcceptResult accepted;  // outcome: replayed
  domain::OrderRequest request;
};

// A processed order, or the snapshot of one still queued, or neither.
struct OrderLookup {
  std::optional<domain::Order> order;
  std::optional<QueuedOrder> queued;
};

struct OrderFilter {
  std::optional<std::string> status, customer_id, customer_email, session_id;
  std::optional<std::int64_t> created_after, created_before;
  bool oldest_first = false;
  std::int64_t page = 1, limit = 50;
};

template <typename T>
struct Page {
  std::vector<T> data;
  std::int64_t total = 0;
};

struct StoredEvent {
  std::int64_t seq = 0;
  std::string type;
  std::int64_t at = 0;
  std::string data_json;
};

struct OrderTotals {
  std::int64_t total = 0;
  std::map<std::string, std::int64_t> by_status;
  domain::Cents revenue = 0;  // confirmed, shipped and delivered orders
};

struct ProductFilter {
  std::optional<std::string> category, q;
  std::optional<domain::Cents> min_price, max_price;
  bool in_stock = false;
  std::string sort = "name";  // name, -name, price, -price, -created_at
  std::int64_t page = 1, limit = 50;
};

enum class WriteOutcome { ok, not_found, duplicate, unknown_category, negative, below_reserved };

struct ProductWrite {
  WriteOutcome outcome = WriteOutcome::ok;
  std::optional<domain::CatalogProduct> product;
};

struct BatchResult {
  std::vector<std::string> applied;                         // applied and deleted
  std::vector<std::pair<std::string, std::string>> failed;  // message id, error: retried or DLQ
  std::vector<std::string> stale;  // receipt expired: another delivery owns the message
  // Found in the inbox: applied by an earlier delivery, so not again (a queue in another
  // system redelivers a message whose deletion was lost). Delete them like applied ones.
  std::vector<std::string> already_applied;
  std::map<std::string, std::int64_t> events_by_type;
  // What the batch changed, for cache invalidation and cart clean-up after the commit.
  std::vector<std::string> changed_orders, changed_products;
  std::vector<std::string> confirmed_sessions;  // checkouts confirmed: their carts are done
};

// Fills what a committed batch reports beyond applied/failed/stale: the orders and products
// it changed (for cache invalidation), confirmed checkouts (whose carts are done), and its
// events by type. `applied[i]` tells whether messages[i] was applied.
void record_outcome(BatchResult& result, const domain::BatchState& state,
                    const std::vector<domain::OrderMessage>& messages,
                    const std::vector<bool>& applied);

class Store {
 public:
  virtual ~Store() = default;
  virtual boost::asio::awaitable<AcceptResult> accept_order(AcceptRequest request) = 0;
  virtual boost::asio::awaitable<OrderLookup> find_order(std::string order_id) = 0;
  // The order an Idempotency-Key was bound to after `since` (ms), if any.
  virtual boost::asio::awaitable<std::optional<KeyBinding>> find_key_binding(
      std::string key, std::int64_t since) = 0;
  virtual boost::asio::awaitable<Page<domain::Order>> list_orders(OrderFilter filter) = 0;
  // nullopt when the id never named an order.
  virtual boost::asio::awaitable<std::optional<std::vector<StoredEvent>>> order_events(
      std::string order_id) = 0;
  virtual boost::asio::awaitable<OrderTotals> order_totals() = 0;
  // Applies a batch of delivered order messages in one transaction that also deletes them
  // (exactly-once effects); messages that fail are retried or dead-lettered in it too.
  virtual boost::asio::awaitable<BatchResult> apply_batch(std::vector<queue::Message> batch,
                                                          const domain::ProcessingRules& rules) = 0;
  virtual boost::asio::awaitable<void> ping() = 0;
  // Whether lists may be read from replicas that lag behind the writes.
  virtual bool lists_may_lag() const { return false; }
  // Returns once the replicas have replayed this process's writes so far (gives up after a
  // while); at once when lists do not lag.
  virtual boost::asio::awaitable<void> replicas_caught_up() { co_return; }

  // Catalog and inventory.
  virtual boost::asio::awaitable<std::vector<domain::Category>> list_categories() = 0;
  virtual boost::asio::awaitable<bool> create_category(domain::Category c) = 0;  // false: exists
  virtual boost::asio::awaitable<Page<domain::CatalogProduct>> list_products(ProductFilter f) = 0;
  virtual boost::asio::awaitable<std::vector<domain::CatalogProduct>> find_products(
      std::vector<std::string> ids) = 0;
  virtual boost::asio::awaitable<ProductWrite> create_product(domain::ProductFields f) = 0;
  virtual boost::asio::awaitable<ProductWrite> update_product(std::string id,
                                                              domain::ProductFields f) = 0;
  virtual boost::asio::awaitable<ProductWrite> change_inventory(std::string id,
                                                                domain::InventoryChange c) = 0;
  virtual boost::asio::awaitable<bool> delete_product(std::string id) = 0;
  // Loads the demo catalog when the catalog is empty; false when it was not.
  virtual boost::asio::awaitable<bool> load_demo_catalog(domain::DemoCatalog demo) = 0;
};

struct CartLine {
  std::string product_id;
  std::int64_t quantity = 0;
};

struct StoredCart {
  std::vector<CartLine> lines;  // in the order they were added
  std::int64_t updated_at = 0;  // 0: no cart
};

// Carts by session id, expiring `ttl` after their last change.
class CartStore {
 public:
  virtual ~CartStore() = default;
  virtual boost::asio::awaitable<StoredCart> get(std::string session) = 0;
  // Sets a line's quantity (0 removes it) and returns the cart after the change.
  virtual boost::asio::awaitable<StoredCart> set_quantity(std::string session,
                                                          std::string product_id,
                                                          std::int64_t quantity) = 0;
  virtual boost::asio::awaitable<void> clear(std::string session) = 0;
  virtual boost::asio::awaitable<std::int64_t> remove_expired() = 0;
};

}  // namespace orderflow::store
