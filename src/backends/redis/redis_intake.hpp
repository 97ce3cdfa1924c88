#pragma once
#include "backends/redis/redis_queue.hpp"
#include "core/ports/batch_applier.hpp"
#include "core/ports/intake.hpp"
#include "core/ports/order_reads.hpp"

namespace orderflow::backends {

// QUEUE_BACKEND=redis: accepting an order touches Redis only. One Lua script looks the
// Idempotency-Key and the order id up and, when nothing binds, queues the message and keeps the
// order's intake record (its queued snapshot) under the queue's keys, so a 202 is as durable as
// Redis is. An intake record stays while its order is queued and for the idempotency window
// after it was applied; a client-chosen order id the database knows is refused as well
// (`orders` tells).
class RedisIntake final : public ports::Intake {
 public:
  RedisIntake(backends::RedisQueue& queue, ports::OrderReads& orders)
      : queue_(queue), orders_(orders) {}

  boost::asio::awaitable<ports::AcceptResult> accept(ports::AcceptRequest request) override;
  boost::asio::awaitable<std::optional<ports::KeyBinding>> find_key_binding(
      std::string key, std::int64_t since) override;

 private:
  backends::RedisQueue& queue_;
  ports::OrderReads& orders_;
};

// Orders as the database has them, and a queued order's snapshot from its intake record in
// Redis until the worker has applied it.
class RedisQueuedOrders final : public ports::OrderReads {
 public:
  RedisQueuedOrders(backends::RedisQueue& queue, ports::OrderReads& database)
      : queue_(queue), database_(database) {}

  boost::asio::awaitable<ports::OrderLookup> find_order(std::string order_id) override;
  boost::asio::awaitable<std::optional<std::vector<ports::StoredEvent>>> order_events(
      std::string order_id) override;
  // Lists and totals hold processed orders only: the database's.
  boost::asio::awaitable<ports::OrderPage> list_orders(ports::OrderFilter f) override {
    return database_.list_orders(std::move(f));
  }
  boost::asio::awaitable<ports::OrderTotals> order_totals() override {
    return database_.order_totals();
  }

 private:
  backends::RedisQueue& queue_;
  ports::OrderReads& database_;
};

// Applies batches from the Redis queue with the database's inbox applier (a message
// redelivered after a lost deletion is applied once), then deletes them from Redis and marks
// the applied orders' intake records.
class RedisBatchApplier final : public ports::BatchApplier {
 public:
  RedisBatchApplier(backends::RedisQueue& queue, ports::BatchApplier& inbox,
                    std::chrono::milliseconds idempotency_window)
      : queue_(queue), inbox_(inbox), idempotency_window_(idempotency_window) {}

  boost::asio::awaitable<ports::BatchResult> apply_batch(
      std::vector<queue::Message> batch, const domain::ProcessingRules& rules) override;

 private:
  backends::RedisQueue& queue_;
  ports::BatchApplier& inbox_;
  std::chrono::milliseconds idempotency_window_;
};

}  // namespace orderflow::backends
