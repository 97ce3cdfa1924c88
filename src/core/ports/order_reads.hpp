#pragma once
#include <boost/asio/awaitable.hpp>

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "core/domain/money.hpp"
#include "core/domain/order.hpp"
#include "core/ports/page.hpp"

namespace orderflow::ports {

struct QueuedOrder {
  domain::OrderRequest request;
  std::int64_t accepted_at = 0;
};

// A processed order, or the snapshot of one still queued, or neither.
struct OrderLookup {
  std::optional<domain::Order> order;
  std::optional<QueuedOrder> queued;
};

// An order's place in a list (orders are listed by created_at, then order_id).
struct OrderKey {
  std::int64_t created_at = 0;
  std::string order_id;
};

struct OrderFilter {
  std::optional<std::string> status, customer_id, customer_email, session_id;
  std::optional<std::int64_t> created_after, created_before;
  bool oldest_first = false;
  std::int64_t page = 1, limit = 50;
  // Keyset paging: the page starts after this order (and `page` is not used).
  std::optional<OrderKey> after;
  bool with_total = true;  // false: the answer's total is not counted (left 0)
};

// A page of orders; has_more tells whether any follow it (found without counting them: a
// backend reads one order more than the limit, and keep_page drops it).
struct OrderPage : Page<domain::Order> {
  bool has_more = false;
  void keep_page(std::int64_t limit) {
    has_more = static_cast<std::int64_t>(data.size()) > limit;
    if (has_more) data.resize(static_cast<std::size_t>(limit));
  }
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

// Orders as the API reads them: by id (processed, or still queued), lists, events, totals.
class OrderReads {
 public:
  virtual ~OrderReads() = default;
  virtual boost::asio::awaitable<OrderLookup> find_order(std::string order_id) = 0;
  // nullopt when the id never named an order.
  virtual boost::asio::awaitable<std::optional<std::vector<StoredEvent>>> order_events(
      std::string order_id) = 0;
  virtual boost::asio::awaitable<OrderPage> list_orders(OrderFilter filter) = 0;
  virtual boost::asio::awaitable<OrderTotals> order_totals() = 0;
};

}  // namespace orderflow::ports
