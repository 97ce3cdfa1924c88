#pragma once
// The worker's business rules, pure: a batch of order messages is applied to an in-memory
// snapshot (BatchState) that a store backend loaded inside its transaction and writes back.
#include <boost/json/object.hpp>

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <variant>
#include <vector>

#include "core/domain/money.hpp"
#include "core/domain/order.hpp"

namespace orderflow::domain {

struct Product {
  std::string product_id, sku, name;
  Cents price = 0;
  std::int64_t stock = 0, reserved = 0;
  std::int64_t available() const { return stock - reserved; }
};

struct EventRecord {
  std::string order_id;
  std::string type;
  std::int64_t at = 0;
  boost::json::object data;
};

enum class IntakeState { queued, applied, deleted };

struct BatchState {
  // Orders the batch touches: loaded rows, or nullopt when absent. Absent keys were not loaded.
  std::map<std::string, std::optional<Order>> orders;
  std::map<std::string, Product> products;  // only products that exist
  std::set<std::string> changed_orders;     // write back (upsert, or delete when nullopt)
  std::set<std::string> changed_products;
  std::vector<EventRecord> events;
  std::map<std::string, IntakeState> intake_updates;
};

// Queue message bodies produced by the API and consumed by the worker.
struct CreateOrder {
  std::string order_id;
  std::int64_t accepted_at = 0;
  OrderRequest request;
};
struct SetStatus {
  std::string order_id;
  OrderStatus status = OrderStatus::pending;
  std::int64_t requested_at = 0;
  std::string request_id;
};
struct DeleteOrder {
  std::string order_id;
  std::int64_t requested_at = 0;
  std::string request_id;
};
using OrderMessage = std::variant<CreateOrder, SetStatus, DeleteOrder>;

std::string encode_message(const OrderMessage& m);
// Throws std::invalid_argument when the body is not a well-formed order message.
OrderMessage decode_message(std::string_view body);
const std::string& message_order_id(const OrderMessage& m);

struct ProcessingRules {
  Rate tax_rate;
  // Returns true when the simulated payment of this order is declined.
  std::function<bool(const Order&)> payment_declined;
};

// The simulated payment: payment_method "test_decline" is always declined, any other with
// probability `failure_rate` (0..1).
ProcessingRules simulated_payment_rules(Rate tax_rate, double failure_rate);

// Product ids whose rows the batch may need: lines of new orders and of orders being released.
std::set<std::string> products_needed(const std::vector<OrderMessage>& messages,
                                      const BatchState& with_orders_loaded);

// Applies one message. Every order id of the message must have been loaded into `state`.
void apply_message(BatchState& state, const OrderMessage& message, const ProcessingRules& rules,
                   std::int64_t now);

struct BatchOutcome {
  BatchState state;                                         // after every message that applied
  std::vector<std::pair<std::size_t, std::string>> failed;  // index into messages, error
};
// Applies the messages in order to a copy of `snapshot`. A message that throws part-way is set
// aside and the batch re-run from the snapshot without it, so its partial changes are lost.
BatchOutcome apply_all(const BatchState& snapshot, const std::vector<OrderMessage>& messages,
                       const ProcessingRules& rules, std::int64_t now);

}  // namespace orderflow::domain
