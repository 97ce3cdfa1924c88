#pragma once
#include <boost/asio/awaitable.hpp>

#include <cstdint>
#include <optional>
#include <string>

#include "core/domain/order.hpp"
#include "core/ports/queue.hpp"

namespace orderflow::ports {

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

// What an Idempotency-Key is bound to: the accepted order and the request it carried.
struct KeyBinding {
  AcceptResult accepted;  // outcome: replayed
  domain::OrderRequest request;
};

// An order's intake record as a backend found it: what an earlier accept bound.
struct IntakeRecord {
  std::string order_id, request_hash, message_id;
  std::int64_t created_at = 0;
};

// The intake's rule, which every backend applies to what it found: an Idempotency-Key bound
// to the same request replays it, to another is a conflict; a client-chosen order id already
// taken replays only a request without a key repeated within the idempotency window, and is a
// conflict otherwise (also when only the database still knows the id: `order_id_known`).
// nullopt: nothing binds, the order is created.
std::optional<AcceptResult> decide_intake(const AcceptRequest& request,
                                          const std::optional<IntakeRecord>& by_key,
                                          const std::optional<IntakeRecord>& by_order_id,
                                          bool order_id_known = false);

// Accepts orders durably: the intake record and the queue message in one step, so that a 202
// is never sent for an order the worker could miss. The replay/conflict decision is
// decide_intake's; a backend only looks the bindings up and stores.
class Intake {
 public:
  virtual ~Intake() = default;
  virtual boost::asio::awaitable<AcceptResult> accept(AcceptRequest request) = 0;
  // The order an Idempotency-Key was bound to after `since` (ms), if any.
  virtual boost::asio::awaitable<std::optional<KeyBinding>> find_key_binding(
      std::string key, std::int64_t since) = 0;
};

}  // namespace orderflow::ports
