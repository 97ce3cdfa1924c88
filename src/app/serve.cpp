#include "app/serve.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <sys/resource.h>

#include <csignal>
#include <optional>
#include <thread>

#include "api/routes.hpp"
#include "app/wiring.hpp"
#include "base/log.hpp"
#include "base/time.hpp"
#include "http/pipeline.hpp"
#include "http/server.hpp"
#include "service/worker.hpp"

namespace orderflow::app {

namespace asio = boost::asio;

namespace {

// MAX_CONNECTIONS, or what the file-descriptor limit leaves after the process's own: database,
// replica and Redis connections, SQLite's files, the listener and a margin. Raises the soft
// limit to the hard one first, as servers do, so that the cap and not the kernel refuses.
std::size_t connection_cap(const Config& c) {
  rlimit limit{};
  if (getrlimit(RLIMIT_NOFILE, &limit) != 0) return c.max_connections ? c.max_connections : 1024;
  if (limit.rlim_cur < limit.rlim_max) {
    limit.rlim_cur = limit.rlim_max;
    setrlimit(RLIMIT_NOFILE, &limit);
    getrlimit(RLIMIT_NOFILE, &limit);
  }
  if (c.max_connections) return c.max_connections;
  const std::size_t own = 64 + c.db_pool_size * (1 + c.database_replica_urls.size()) +
                          static_cast<std::size_t>(c.sqlite_readers) +
                          static_cast<std::size_t>(c.worker_concurrency) * 2;
  const auto fds = static_cast<std::size_t>(std::min<rlim_t>(limit.rlim_cur, 1'000'000));
  return fds > own + 16 ? fds - own : 16;
}

// How long a worker's receive waits for messages. On SQS each wait is a billed request, so a
// long poll there is SQS's longest (the worker interrupts it when stopping).
std::chrono::milliseconds worker_poll_wait(const Config& c) {
  return c.sqs ? std::chrono::seconds(20) : std::chrono::seconds(1);
}

}  // namespace

int serve(Config cfg) {
  log::set_level(cfg.log_level);
  // First, so that it outlives everything whose handlers it may hold.
  asio::io_context io;
  // Redis, when configured, holds the cache and the carts (and with QUEUE_BACKEND=redis the
  // queue), shared with the other processes.
  const auto redis = redis_client(cfg, io);
  const auto queue_redis = queue_redis_client(cfg, io);
  const auto backends_owner = open_backends(cfg, io, queue_redis.get());
  auto& backends = *backends_owner;
  const auto& wired = backends.ports();

  const auto redis_carts = open_redis_carts(cfg, redis.get());
  ports::Carts& cart_store = redis_carts ? *redis_carts : *wired.carts;
  auto cache = make_cache(cfg, redis.get());
  service::HandlerStats handler_stats;
  obs::HttpMetrics http_metrics;
  service::OrderService orders(*wired.intake, *wired.order_reads, *wired.queue, *cache,
                               {cfg.currency, cfg.idempotency_ttl.count(), cfg.cache_ttl_order});
  service::CatalogService catalog(*wired.catalog, *cache, cache_ttls(cfg), cfg.currency);
  service::CartService carts(*wired.catalog, cart_store, orders);
  if (cfg.demo_data && run_on(io, catalog.load_demo_catalog(domain::demo_catalog())))
    log::info("demo catalog loaded (turn off with --no-demo-data)");

  // After a batch commits: what it changed leaves the cache, and confirmed checkouts empty
  // their carts. Both before the batch counts as processed.
  service::AfterCommit after_commit = [&](const ports::BatchResult& r) -> asio::awaitable<void> {
    std::vector<std::string> keys;
    for (const auto& id : r.changed_orders) keys.push_back(service::OrderService::cache_key(id));
    co_await cache->invalidate(std::move(keys));
    if (!r.changed_products.empty()) co_await catalog.invalidate_products(r.changed_products);
    for (const auto& session : r.confirmed_sessions) co_await cart_store.clear(session);
  };
  std::optional<service::Worker> worker;
  if (cfg.role != Role::api)
    worker.emplace(*wired.queue, *wired.batch_applier,
                   domain::simulated_payment_rules(cfg.tax_rate, cfg.payment_failure_rate),
                   service::WorkerOptions{cfg.worker_batch_size, cfg.worker_concurrency,
                                          worker_poll_wait(cfg)},
                   handler_stats, after_commit);
  obs::HealthMonitor health(*wired.database, *wired.queue,
                            cache_backend_of(cfg) == "off" ? nullptr : cache.get());
  if (auto* reads = backends.replicas(); reads && reads->has_replicas())
    health.watch_replicas([reads]() -> asio::awaitable<std::vector<obs::ReplicaCheck>> {
      std::vector<obs::ReplicaCheck> out;
      const auto replicas = co_await reads->probe();
      for (const auto& r : replicas)
        out.push_back(
            {r.name, {r.healthy ? "connected" : "disconnected", r.latency_ms, r.last_error}});
      co_return out;
    });
  std::atomic<bool> ready{false};
  const auto routes = api::served_routes(cfg.role != Role::worker);
  api::ApiContext ctx{
      {orders, *wired.order_reads},
      {catalog, cfg.admin_token},
      {carts, *wired.order_reads},
      {*wired.order_reads, *wired.queue, *cache, handler_stats, worker ? &*worker : nullptr, health,
       cfg.admin_token, now_ms(), ready, http_metrics, [&backends] { return backends.pools(); }},
      {api::openapi_document_for(routes)}};
  http::Router router;
  api::add_routes(router, ctx, routes);
  http::Pipeline pipeline(router,
                          {cfg.cors_origins, http::TrustedProxies::parse(cfg.trusted_proxies),
                           cfg.rate_limit_rps, cfg.rate_limit_burst},
                          &http_metrics);
  const auto max_connections = connection_cap(cfg);
  http::Server server(
      io,
      {cfg.host, cfg.port, cfg.max_body_bytes, cfg.max_header_bytes, cfg.max_url_bytes,
       max_connections, cfg.header_timeout, cfg.body_timeout, cfg.idle_timeout},
      {[&](http::Request& r) { return pipeline.handle(r); },
       [&](http::Request& r, const http::ApiError& e) { return pipeline.reject(r, e); }});

  if (cfg.role != Role::all && cache_backend_of(cfg) == "memory")
    log::warn(
        "CACHE_BACKEND=memory in a process without every role: the other processes' "
        "writes do not reach its cache, which serves what it holds until its TTLs end");
  if (!cfg.admin_token)
    log::warn("ADMIN_TOKEN is not set: admin endpoints are served to loopback clients only");
  const auto port = server.start();
  health.start(io, std::chrono::seconds(5));
  if (worker) worker->start(io);
  if (cfg.role != Role::worker && !redis_carts)  // Redis expires carts by itself
    asio::co_spawn(io, carts.remove_expired_every(cfg.cart_cleanup_interval), asio::detached);
  ready = true;
  log::info("listening", {{"host", cfg.host},
                          {"port", port},
                          {"role", to_string(cfg.role)},
                          {"database", backends.describe()},
                          {"queue", cfg.redis_queue ? "redis" : "database"},
                          {"cache", cache_backend_of(cfg)},
                          {"carts", redis_carts ? "redis" : "database"},
                          {"max_connections", max_connections},
                          {"rate_limit_rps", cfg.rate_limit_rps},
                          {"version", ORDERFLOW_VERSION}});

  asio::signal_set signals(io, SIGINT, SIGTERM);
  signals.async_wait([&](const boost::system::error_code& ec, int signo) {
    if (ec) return;
    asio::co_spawn(
        io,
        [&, signo]() -> asio::awaitable<void> {
          ready = false;
          log::info("shutting down", {{"signal", signo}});
          if (cfg.shutdown_delay.count() > 0) {
            asio::steady_timer delay(io, cfg.shutdown_delay);
            co_await delay.async_wait(asio::use_awaitable);
          }
          co_await server.drain(cfg.shutdown_grace);
          if (worker) co_await worker->stop();
          health.stop();
          log::info("stopped");
          io.stop();
        },
        asio::detached);
  });

  const int n = cfg.http_threads > 0
                    ? cfg.http_threads
                    : static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  // Start-up work may have run the context dry (which stops it): make it runnable again.
  io.restart();
  std::vector<std::thread> threads;
  for (int i = 1; i < n; ++i) threads.emplace_back([&] { io.run(); });
  io.run();
  for (auto& t : threads) t.join();
  return 0;
}

}  // namespace orderflow::app
