#pragma once
#include <atomic>
#include <cstdint>
#include <functional>
#include <initializer_list>
#include <optional>
#include <string>
#include <type_traits>
#include <vector>

#include "base/metrics.hpp"
#include "core/ports/cache.hpp"
#include "core/ports/order_reads.hpp"
#include "core/ports/queue.hpp"
#include "http/router.hpp"
#include "service/cart_service.hpp"
#include "service/catalog_service.hpp"
#include "service/handler_stats.hpp"
#include "service/health.hpp"
#include "service/order_service.hpp"
#include "service/worker.hpp"

namespace orderflow::api {

// The api layer's vocabulary: its handlers take a Request and answer a Response.
using http::Request;
using http::Response;

// What the handlers use, wired once at start-up: each area's handlers see their area only.
struct OrdersArea {
  service::OrderService& orders;
  ports::OrderReads& order_reads;
};
struct CatalogArea {
  service::CatalogService& catalog;
  std::optional<std::string> admin_token;
};
struct CartArea {
  service::CartService& carts;
  ports::OrderReads& order_reads;  // a session's orders
};
// Health, readiness, stats, the queue's administration and /metrics.
struct OperationsArea {
  ports::OrderReads& order_reads;
  queue::Queue& queue;
  cache::Cache& cache;
  service::HandlerStats& handler_stats;
  service::Worker* worker;  // null when this process runs no worker (role api)
  obs::HealthMonitor& health;
  std::optional<std::string> admin_token;
  std::int64_t started_at_ms;
  std::atomic<bool>& ready;
  obs::HttpMetrics& http_metrics;
  std::function<std::vector<obs::PoolGauge>()> pools;  // the database's connection pools
};
struct DocsArea {
  std::string openapi;  // the OpenAPI document of the routes served (openapi_document_for)
};

struct ApiContext {
  OrdersArea orders;
  CatalogArea catalog;
  CartArea cart;
  OperationsArea operations;
  DocsArea docs;
};

// What a route calls with the context and the request.
using Endpoint = std::function<boost::asio::awaitable<http::Response>(ApiContext&, http::Request&)>;

struct Route {
  std::string method;
  std::string pattern;  // "/api/orders/{id}"
  Endpoint endpoint;
};

// Shared by the order and the checkout handlers.
http::Response accepted_response(const service::AcceptedOrder& accepted);
boost::asio::awaitable<http::Response> list_orders_for(ports::OrderReads& reads, http::Request& r,
                                                       std::optional<std::string> session);

// An area's route: its handler sees that area of the context only.
template <typename Area>
struct AreaRoute {
  const char* method;
  const char* pattern;  // "/api/orders/{id}"
  boost::asio::awaitable<http::Response> (*handler)(Area&, http::Request&);
};

template <typename Area>
std::vector<Route> area_routes(Area ApiContext::*area,
                               std::type_identity_t<std::initializer_list<AreaRoute<Area>>> table) {
  std::vector<Route> out;
  for (const auto& r : table)
    out.push_back(
        {r.method, r.pattern, [area, handler = r.handler](ApiContext& ctx, http::Request& req) {
           return handler(ctx.*area, req);
         }});
  return out;
}

// Each area's routes. They need no context, so that the route table can be listed (and
// compared with the OpenAPI document) without starting anything.
std::vector<Route> order_routes();
std::vector<Route> catalog_routes();
std::vector<Route> cart_routes();
std::vector<Route> operations_routes();
std::vector<Route> metrics_routes();  // GET /metrics: Prometheus text, or JSON on request
std::vector<Route> docs_routes();     // the OpenAPI document and Swagger UI

// Every route a process serves: the shop's (orders, catalog, cart) only when it takes traffic
// for them, the operational ones always.
std::vector<Route> served_routes(bool serves_shop);

void add_routes(http::Router& router, ApiContext& ctx, const std::vector<Route>& routes);

// The built-in OpenAPI document cut down to `routes`: a process that serves no shop routes (a
// worker) does not describe them. Empty when the document is not built in.
std::string openapi_document_for(const std::vector<Route>& routes);

}  // namespace orderflow::api
