#include <boost/json/serialize.hpp>

#include "api/common.hpp"
#include "api/request_parsing.hpp"
#include "api/routes.hpp"
#include "base/ids.hpp"
#include "base/json.hpp"
#include "base/time.hpp"
#include "base/utf8.hpp"

namespace orderflow::api {

namespace asio = boost::asio;
namespace json = boost::json;

Response accepted_response(const service::AcceptedOrder& accepted) {
  auto res = json_response(202, json::object{{"order_id", accepted.order_id},
                                             {"status", "queued"},
                                             {"message_id", accepted.message_id},
                                             {"created_at", format_rfc3339(accepted.created_at)}});
  res.set("Location", "/api/orders/" + accepted.order_id);
  if (accepted.replayed) res.set("Idempotent-Replayed", "true");
  return res;
}

namespace {

asio::awaitable<Response> create_order(OrdersArea& ctx, Request& r) {
  const auto body = parse_json_body(r);
  const auto accepted = co_await ctx.orders.accept(body, idempotency_key(r), std::nullopt);
  co_return accepted_response(accepted);
}

asio::awaitable<Response> get_order(OrdersArea& ctx, Request& r) {
  const auto& id = r.params.at("id");
  const auto doc = co_await ctx.orders.find(id);
  if (!doc) throw core::not_found("order '" + id + "' does not exist");
  // Appended rather than "\"" + …: GCC 12 warns falsely on that at -O2.
  std::string etag = "\"";
  etag += std::to_string(doc->version);
  etag += '"';
  const auto inm = r.header("If-None-Match");
  Response res = inm && *inm == etag ? empty_response(304) : Response{};
  if (res.status != 304) res.body = doc->json;
  res.set("ETag", etag);
  co_return res;
}

asio::awaitable<Response> list_orders(OrdersArea& ctx, Request& r) {
  co_return co_await list_orders_for(ctx.order_reads, r, std::nullopt);
}

Response change_response(const service::ChangeRequested& c);

}  // namespace

asio::awaitable<Response> list_orders_for(ports::OrderReads& reads, Request& r,
                                          std::optional<std::string> session) {
  const auto filter = order_filter(r, std::move(session));
  auto page = co_await reads.list_orders(filter);
  json::array data;
  for (const auto& o : page.data) data.push_back(domain::to_api_json(o));
  json::object out{{"data", std::move(data)}};
  if (!filter.after) out["page"] = filter.page;
  out["limit"] = filter.limit;
  if (filter.with_total) out["total"] = page.total;
  out["has_more"] = page.has_more;
  out["next_cursor"] =
      page.has_more
          ? json::value(order_cursor({page.data.back().created_at, page.data.back().order_id},
                                     filter.oldest_first))
          : json::value(nullptr);
  co_return json_response(200, std::move(out));
}

namespace {

Response change_response(const service::ChangeRequested& c) {
  return json_response(202, json::object{{"order_id", c.order_id},
                                         {"requested_status", c.requested_status},
                                         {"message_id", c.message_id}});
}

asio::awaitable<Response> set_status(OrdersArea& ctx, Request& r) {
  const auto body = parse_json_body(r);
  // Built before the co_await: GCC 12 mishandles temporaries inside co_await operands.
  json::value status;
  if (const auto* s = body.is_object() ? body.get_object().if_contains("status") : nullptr)
    status = *s;
  const auto requested =
      co_await ctx.orders.request_status(r.params.at("id"), std::move(status), r.request_id);
  co_return change_response(requested);
}

asio::awaitable<Response> cancel_order(OrdersArea& ctx, Request& r) {
  json::value cancelled("cancelled");
  const auto requested =
      co_await ctx.orders.request_status(r.params.at("id"), std::move(cancelled), r.request_id);
  co_return change_response(requested);
}

asio::awaitable<Response> delete_order(OrdersArea& ctx, Request& r) {
  const auto requested = co_await ctx.orders.request_delete(r.params.at("id"), r.request_id);
  co_return change_response(requested);
}

asio::awaitable<Response> order_events(OrdersArea& ctx, Request& r) {
  const auto& id = r.params.at("id");
  const auto events = co_await ctx.order_reads.order_events(id);
  if (!events) throw core::not_found("order '" + id + "' does not exist");
  json::array out;
  for (const auto& e : *events) {
    auto data = try_parse_json(e.data_json);
    out.push_back(json::object{{"seq", e.seq},
                               {"type", e.type},
                               {"at", format_rfc3339(e.at)},
                               {"data", data ? *data : json::object{}}});
  }
  co_return json_response(200, json::object{{"order_id", id}, {"events", std::move(out)}});
}

}  // namespace

std::vector<Route> order_routes() {
  return area_routes(&ApiContext::orders,
                     {
                         {"POST", "/api/orders", create_order},
                         {"GET", "/api/orders/{id}", get_order},
                         // The short aliases of the two calls a shop makes most.
                         {"POST", "/orders", create_order},
                         {"GET", "/orders/{id}", get_order},
                         {"GET", "/api/orders", list_orders},
                         {"PUT", "/api/orders/{id}/status", set_status},
                         {"PUT", "/api/orders/{id}/cancel", cancel_order},
                         {"DELETE", "/api/orders/{id}", delete_order},
                         {"GET", "/api/orders/{id}/events", order_events},
                     });
}

}  // namespace orderflow::api
