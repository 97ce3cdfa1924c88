#pragma once
#include <boost/asio/awaitable.hpp>
#include <boost/json/value.hpp>

#include <optional>
#include <string>

#include "core/ports/cache.hpp"
#include "core/ports/intake.hpp"
#include "core/ports/order_reads.hpp"
#include "core/ports/queue.hpp"

namespace orderflow::service {

struct OrderServiceOptions {
  std::string currency = "USD";
  std::int64_t idempotency_window_ms = 24 * 3600 * 1000;
  std::chrono::milliseconds order_cache_ttl{3'600'000};  // sliding
};

// An order as GET /api/orders/{id} sends it.
struct OrderDocument {
  std::string json;
  std::int64_t version = 0;  // 0 while queued
};

struct AcceptedOrder {
  std::string order_id, message_id;
  std::int64_t created_at = 0;
  bool replayed = false;
};

struct ChangeRequested {
  std::string order_id, requested_status, message_id;
};

// The API side of orders: validates, checks what can be checked at once, and makes the
// request durable in the queue; the worker applies it. Client mistakes throw core::Error.
class OrderService {
 public:
  OrderService(ports::Intake& intake, ports::OrderReads& reads, queue::Queue& queue,
               cache::Cache& cache, OrderServiceOptions options)
      : intake_(intake),
        reads_(reads),
        queue_(queue),
        cache_(cache),
        options_(std::move(options)) {}

  // The order, processed or still queued (cache-aside, sliding TTL); nullopt when unknown.
  boost::asio::awaitable<std::optional<OrderDocument>> find(std::string order_id);
  static std::string cache_key(const std::string& order_id) { return "order:" + order_id; }

  boost::asio::awaitable<AcceptedOrder> accept(const boost::json::value& body,
                                               std::optional<std::string> idempotency_key,
                                               std::optional<std::string> session_id);
  // A checkout retried with its Idempotency-Key: the order the key was bound to, even though
  // the cart is empty by then (the worker empties it once the order is confirmed). nullopt when
  // the key is not bound; 422 when it was bound for another session.
  boost::asio::awaitable<std::optional<AcceptedOrder>> replay_checkout(std::string idempotency_key,
                                                                       std::string session_id);
  boost::asio::awaitable<ChangeRequested> request_status(std::string order_id,
                                                         boost::json::value status,
                                                         std::string request_id);
  boost::asio::awaitable<ChangeRequested> request_delete(std::string order_id,
                                                         std::string request_id);

 private:
  boost::asio::awaitable<ChangeRequested> send_change(std::string order_id, std::string requested,
                                                      std::string body);

  ports::Intake& intake_;
  ports::OrderReads& reads_;
  queue::Queue& queue_;
  cache::Cache& cache_;
  OrderServiceOptions options_;
};

// Whether a client may request `to` for an order in `from` now. A queued order's status is
// not known yet, so any status a processed order could move to is let through and the worker
// decides.
bool may_request_transition(domain::OrderStatus from, domain::OrderStatus to);

}  // namespace orderflow::service
