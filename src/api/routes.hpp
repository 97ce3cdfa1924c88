#pragma once
#include <atomic>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>

#include "cache/cache.hpp"
#include "http/router.hpp"
#include "obs/health.hpp"
#include "obs/metrics.hpp"
#include "queue/queue.hpp"
#include "service/cart_service.hpp"
#include "service/catalog_service.hpp"
#include "service/handler_stats.hpp"
#include "service/order_service.hpp"
#include "service/worker.hpp"
#include "store/store.hpp"

namespace orderflow::api {

// What the handlers use, wired once at start-up.
struct ApiContext {
  store::Store& store;
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
};

// Adapts `fn(ctx, request)` to a router handler.
template <typename Fn>
http::Handler with_context(ApiContext& ctx, Fn fn) {
  return [&ctx, fn](http::Request& r) { return fn(ctx, r); };
}

// Shared by the order and the checkout handlers.
http::Response accepted_response(const service::AcceptedOrder& accepted);
std::optional<std::string> idempotency_key(const http::Request& r);
boost::asio::awaitable<http::Response> list_orders_for(ApiContext& ctx, http::Request& r,
                                                       std::optional<std::string> session);

void add_order_routes(http::Router& router, ApiContext& ctx);
void add_operations_routes(http::Router& router, ApiContext& ctx);
void add_catalog_routes(http::Router& router, ApiContext& ctx);
void add_cart_routes(http::Router& router, ApiContext& ctx);
// GET /metrics: Prometheus text, or JSON with Accept: application/json.
void add_metrics_routes(http::Router& router, ApiContext& ctx);

}  // namespace orderflow::api
