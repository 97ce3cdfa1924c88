#include "service/order_service.hpp"

#include <boost/json/serialize.hpp>

#include "base/ids.hpp"
#include "base/time.hpp"
#include "core/domain/processing.hpp"
#include "core/errors.hpp"

namespace orderflow::service {

namespace asio = boost::asio;
namespace json = boost::json;
using domain::OrderStatus;

bool may_request_transition(OrderStatus from, OrderStatus to) {
  if (from != OrderStatus::queued) return domain::is_allowed_transition(from, to);
  return domain::is_allowed_transition(OrderStatus::pending, to) ||
         domain::is_allowed_transition(OrderStatus::confirmed, to);
}

asio::awaitable<AcceptedOrder> OrderService::accept(const json::value& body,
                                                    std::optional<std::string> idempotency_key,
                                                    std::optional<std::string> session_id) {
  if (idempotency_key && (idempotency_key->empty() || idempotency_key->size() > 255))
    throw core::validation_failed("Idempotency-Key must be 1-255 characters",
                                  {{"Idempotency-Key", "must be 1-255 characters"}});
  auto parsed = domain::parse_order_request(body, options_.currency);
  if (!parsed.errors.empty())
    throw core::validation_failed("the order is not valid", std::move(parsed.errors));
  auto& request = parsed.request;
  request.session_id = std::move(session_id);

  ports::AcceptRequest a;
  a.client_order_id = request.order_id.has_value();
  a.order_id = request.order_id.value_or(uuid_v7());
  a.idempotency_key = std::move(idempotency_key);
  a.accepted_at = now_ms();
  a.idempotency_window_ms = options_.idempotency_window_ms;
  a.request_json = json::serialize(domain::to_message_json(request));
  a.request_hash = sha256_hex(a.request_json);
  a.message.group_id = a.order_id;
  a.message.dedup_id = a.idempotency_key ? *a.idempotency_key : a.order_id;
  a.message.body = domain::encode_message(domain::CreateOrder{a.order_id, a.accepted_at, request});

  const auto r = co_await intake_.accept(std::move(a));
  switch (r.outcome) {
    case ports::AcceptOutcome::idempotency_conflict:
      throw core::idempotency_conflict(
          "this Idempotency-Key was used with a different request body");
    case ports::AcceptOutcome::order_id_conflict:
      throw core::conflict("order_id '" + r.order_id + "' already names a different order");
    default:
      co_return AcceptedOrder{r.order_id, r.message_id, r.created_at,
                              r.outcome == ports::AcceptOutcome::replayed};
  }
}

asio::awaitable<std::optional<AcceptedOrder>> OrderService::replay_checkout(
    std::string idempotency_key, std::string session_id) {
  const auto bound = co_await intake_.find_key_binding(std::move(idempotency_key),
                                                       now_ms() - options_.idempotency_window_ms);
  if (!bound) co_return std::nullopt;
  if (bound->request.session_id != session_id)
    throw core::idempotency_conflict("this Idempotency-Key was used with a different request body");
  const auto& a = bound->accepted;
  co_return AcceptedOrder{a.order_id, a.message_id, a.created_at, true};
}

asio::awaitable<std::optional<OrderDocument>> OrderService::find(std::string order_id) {
  if (!is_valid_client_id(order_id)) co_return std::nullopt;
  // Cached as "<version>\n<json>"; a miss that finds nothing is not cached.
  auto hit = co_await cache_.get(cache_key(order_id), options_.order_cache_ttl);
  if (hit.value) {
    const auto nl = hit.value->find('\n');
    co_return OrderDocument{hit.value->substr(nl + 1), std::stoll(hit.value->substr(0, nl))};
  }
  const auto found = co_await reads_.find_order(order_id);
  OrderDocument doc;
  if (found.order) {
    doc = {json::serialize(domain::to_api_json(*found.order)), found.order->version};
  } else if (found.queued) {
    doc = {json::serialize(
               domain::queued_api_json(found.queued->request, order_id, found.queued->accepted_at)),
           0};
  } else {
    co_return std::nullopt;
  }
  co_await cache_.put(cache_key(order_id), std::to_string(doc.version) + "\n" + doc.json,
                      options_.order_cache_ttl, hit.stamp);
  co_return doc;
}

namespace {
OrderStatus current_status(const ports::OrderLookup& lookup, const std::string& id) {
  if (lookup.order) return lookup.order->status;
  if (lookup.queued) return OrderStatus::queued;
  throw core::not_found("order '" + id + "' does not exist");
}
}  // namespace

asio::awaitable<ChangeRequested> OrderService::send_change(std::string order_id,
                                                           std::string requested,
                                                           std::string body) {
  // The body carries the request id, so its SHA-256 (the default deduplication id) drops a
  // retried request with the same X-Request-ID and nothing else.
  std::vector<queue::OutgoingMessage> batch;
  batch.push_back({order_id, std::nullopt, std::move(body)});
  auto sent = co_await queue_.send(std::move(batch));
  co_return ChangeRequested{std::move(order_id), std::move(requested), sent.at(0).message_id};
}

asio::awaitable<ChangeRequested> OrderService::request_status(std::string order_id,
                                                              json::value status,
                                                              std::string request_id) {
  const auto target = status.is_string() ? domain::parse_status(status.get_string()) : std::nullopt;
  if (!target)
    throw core::validation_failed(
        "unknown status",
        {{"status", "must be one of pending, confirmed, shipped, delivered, cancelled, failed"}});
  const auto from = current_status(co_await reads_.find_order(order_id), order_id);
  if (!may_request_transition(from, *target))
    throw core::invalid_transition("cannot move order from " +
                                   std::string(domain::to_string(from)) + " to " +
                                   std::string(domain::to_string(*target)));
  const auto body =
      domain::encode_message(domain::SetStatus{order_id, *target, now_ms(), std::move(request_id)});
  co_return co_await send_change(std::move(order_id), std::string(domain::to_string(*target)),
                                 body);
}

asio::awaitable<ChangeRequested> OrderService::request_delete(std::string order_id,
                                                              std::string request_id) {
  current_status(co_await reads_.find_order(order_id), order_id);
  const auto body =
      domain::encode_message(domain::DeleteOrder{order_id, now_ms(), std::move(request_id)});
  co_return co_await send_change(std::move(order_id), "deleted", body);
}

}  // namespace orderflow::service
