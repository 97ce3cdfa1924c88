#pragma once
#include <atomic>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
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

// What the handlers use, wired once at start-up.
struct ApiContext {
  ports::OrderReads& order_reads;
  queue::Queue& queue;
  service::OrderService& orders;
  service::CatalogService& catalog;
  service::CartService& carts;
  cache::Cache& cache;
  service::HandlerStats& handler_stats;
  service::Worker* worker;  // null when this process runs no worker (role api)
  obs::HealthMonitor& health;
  std::optional<std::string> admin_token;
  std::int64_t started_at_ms;
  std::atomic<bool>& ready;
  obs::HttpMetrics& http_metrics;
  std::function<std::vector<obs::PoolGauge>()> pools;  // the database's connection pools
  std::string openapi;  // the OpenAPI document of the routes served (openapi_document_for)
};

// A handler of the API: what a route calls with the context and the request.
using Endpoint = boost::asio::awaitable<http::Response> (*)(ApiContext&, http::Request&);

struct Route {
  std::string method;
  std::string pattern;  // "/api/orders/{id}"
  Endpoint endpoint;
};

// Shared by the order and the checkout handlers.
http::Response accepted_response(const service::AcceptedOrder& accepted);
boost::asio::awaitable<http::Response> list_orders_for(ApiContext& ctx, http::Request& r,
                                                       std::optional<std::string> session);

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
