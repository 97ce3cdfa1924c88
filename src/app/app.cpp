#include "app/app.hpp"

#include <CLI/CLI.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/use_future.hpp>
#include <boost/json/serialize.hpp>

#include <sys/resource.h>

#include <csignal>
#include <filesystem>
#include <future>
#include <iostream>
#include <thread>

#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>

#include "api/routes.hpp"
#include "api/views.hpp"
#include "app/config.hpp"
#include "backends/memory/memory_cache.hpp"
#include "backends/postgres/pg_queue.hpp"
#include "backends/postgres/pg_store.hpp"
#include "backends/postgres/schema.hpp"
#include "backends/redis/redis_cache.hpp"
#include "backends/redis/redis_cart_store.hpp"
#include "backends/redis/redis_intake_store.hpp"
#include "backends/redis/redis_queue.hpp"
#include "backends/sqlite/schema.hpp"
#include "backends/sqlite/sqlite_queue.hpp"
#include "backends/sqlite/sqlite_store.hpp"
#include "base/ids.hpp"
#include "base/log.hpp"
#include "base/time.hpp"
#include "http/pipeline.hpp"
#include "http/server.hpp"

namespace orderflow::app {

namespace asio = boost::asio;
namespace json = boost::json;

namespace {

std::string sqlite_path(const Config& c) {
  return c.sqlite_path.empty() ? (std::filesystem::path(c.data_dir) / "orderflow.db").string()
                               : c.sqlite_path;
}

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

// Runs one coroutine to completion on `io` from this thread (start-up work, CLI subcommands).
template <typename T>
T run_on(asio::io_context& io, asio::awaitable<T> op) {
  auto f = asio::co_spawn(io, std::move(op), asio::use_future);
  io.restart();
  while (f.wait_for(std::chrono::seconds(0)) != std::future_status::ready) io.run_one();
  return f.get();
}

// The store, queue and carts the configuration names; they share one database.
struct Backends {
  virtual ~Backends() = default;
  virtual queue::Queue& queue() = 0;
  virtual store::Store& store() = 0;
  virtual store::CartStore& carts() = 0;
  virtual std::string describe() const = 0;  // for the start-up log, without secrets
  virtual pg::ReadRouter* read_router() { return nullptr; }
  // The database's connection pools, for /metrics (none for the embedded file).
  virtual std::vector<obs::PoolGauge> pools() const { return {}; }
};

// The embedded default: one SQLite file.
struct SqliteBackends final : Backends {
  explicit SqliteBackends(const Config& c)
      : db(open(c)), queue_(db, c.queue), store_(db, queue_), carts_(db, c.cart_ttl) {}

  static sqlite::Database::Options open(const Config& c) {
    const auto path = sqlite_path(c);
    const auto dir = std::filesystem::path(path).parent_path();
    if (!dir.empty()) std::filesystem::create_directories(dir);
    return {path, c.sqlite_readers, 1024, c.sqlite_busy_timeout, sqlite::migrate};
  }
  queue::Queue& queue() override { return queue_; }
  store::Store& store() override { return store_; }
  store::CartStore& carts() override { return carts_; }
  std::string describe() const override { return "sqlite:" + db.path(); }

  sqlite::Database db;
  queue::SqliteQueue queue_;
  store::SqliteStore store_;
  store::SqliteCartStore carts_;
};

// PostgreSQL (DATABASE_URL): migrated at start, safe when several processes start at once.
// With QUEUE_BACKEND=redis, the queue and the orders' intake are in Redis.
struct PgBackends final : Backends {
  PgBackends(const Config& c, asio::io_context& io, redis::Client* queue_redis)
      : pool(io.get_executor(), pg::PoolOptions{*c.database_url, c.db_pool_size}),
        reads(pool, c.database_replica_urls, replica_options(c)),
        carts_(pool, c.cart_ttl) {
    run_on(io, pg::migrate(pool));
    // Replicas serve this process nothing older than what the primary held when it started (a
    // catalog loaded by `orderflow demo-data` just before is listed at once, not after replay).
    run_on(io, reads.note_write());
    if (c.redis_queue) {
      redis_queue.emplace(io.get_executor(), *queue_redis, c.queue_redis_options(), c.queue,
                          c.redis_key_prefix);
      database_store.emplace(pool, nullptr, &reads);
      intake.emplace(*database_store, *redis_queue, c.idempotency_ttl);
    } else {
      pg_queue.emplace(pool, c.queue);
      database_store.emplace(pool, &*pg_queue, &reads);
    }
  }
  static pg::PoolOptions replica_options(const Config& c) {
    pg::PoolOptions o;
    o.size = c.db_pool_size;
    // A replica that does not answer soon is skipped: the primary can serve the read.
    o.connect_timeout = std::chrono::milliseconds(1000);
    return o;
  }
  queue::Queue& queue() override {
    if (redis_queue) return *redis_queue;
    return *pg_queue;
  }
  store::Store& store() override {
    if (intake) return *intake;
    return *database_store;
  }
  store::CartStore& carts() override { return carts_; }
  pg::ReadRouter* read_router() override { return &reads; }
  std::vector<obs::PoolGauge> pools() const override {
    const auto s = pool.stats();
    return {{"primary", s.size, s.connected, s.leased, s.in_flight}};
  }
  std::string describe() const override {
    auto out = "postgresql://" + pg::without_credentials(pool.options().conninfo);
    for (const auto& r : reads.status()) out += ", replica " + r.name;
    return out;
  }

  pg::Pool pool;
  pg::ReadRouter reads;
  std::optional<queue::PgQueue> pg_queue;
  std::optional<queue::RedisQueue> redis_queue;
  std::optional<store::PgStore> database_store;
  std::optional<store::RedisIntakeStore> intake;
  store::PgCartStore carts_;
};

std::unique_ptr<Backends> open_backends(const Config& c, asio::io_context& io,
                                        redis::Client* queue_redis) {
  if (c.database_url) return std::make_unique<PgBackends>(c, io, queue_redis);
  return std::make_unique<SqliteBackends>(c);
}

std::unique_ptr<cache::Cache> make_cache(const Config& c, redis::Client* redis) {
  if (c.cache_backend == "off") return std::make_unique<cache::NullCache>();
  if (c.cache_backend == "redis")
    return std::make_unique<cache::RedisCache>(*redis, c.redis_key_prefix);
  return std::make_unique<cache::MemoryCache>(c.cache_max_bytes);
}

service::CacheTtls cache_ttls(const Config& c) {
  return {c.cache_ttl_product, c.cache_ttl_listing, c.cache_ttl_categories, c.cache_ttl_order};
}

std::unique_ptr<redis::Client> redis_client(const Config& c, asio::io_context& io) {
  return c.redis ? std::make_unique<redis::Client>(io.get_executor(), *c.redis) : nullptr;
}

// A connection of its own for the queue (QUEUE_BACKEND=redis), to QUEUE_REDIS_URL or else the
// cache's Redis; null without the Redis queue.
std::unique_ptr<redis::Client> queue_redis_client(const Config& c, asio::io_context& io) {
  if (!c.redis_queue) return nullptr;
  return std::make_unique<redis::Client>(io.get_executor(), c.queue_redis_options());
}

// Removes expired carts now and then.
asio::awaitable<void> cart_cleanup(store::CartStore& carts, std::chrono::milliseconds every) {
  asio::steady_timer timer(co_await asio::this_coro::executor);
  for (;;) {
    timer.expires_after(every);
    co_await timer.async_wait(asio::use_awaitable);
    try {
      if (const auto n = co_await carts.remove_expired(); n > 0)
        log::info("expired carts removed", {{"count", n}});
    } catch (const std::exception& e) {
      log::warn("cart clean-up failed", {{"error", e.what()}});
    }
  }
}

domain::ProcessingRules processing_rules(const Config& c) {
  const double rate = c.payment_failure_rate;
  return {c.tax_rate, [rate](const domain::Order& o) {
            if (o.payment_method == "test_decline") return true;
            return rate > 0 && static_cast<double>(random_below(1'000'000)) < rate * 1e6;
          }};
}

int serve(Config cfg) {
  log::set_level(cfg.log_level);
  // First, so that it outlives everything whose handlers it may hold.
  asio::io_context io;
  // Redis, when configured, holds the cache and the carts (and with QUEUE_BACKEND=redis the
  // queue), shared with the other processes.
  const auto redis = redis_client(cfg, io);
  const auto queue_redis = queue_redis_client(cfg, io);
  auto backends_owner = open_backends(cfg, io, queue_redis.get());
  auto& backends = *backends_owner;

  std::unique_ptr<store::RedisCartStore> redis_carts;
  if (redis)
    redis_carts =
        std::make_unique<store::RedisCartStore>(*redis, cfg.redis_key_prefix, cfg.cart_ttl);
  store::CartStore& cart_store = redis_carts ? *redis_carts : backends.carts();
  auto cache = make_cache(cfg, redis.get());
  service::HandlerStats handler_stats;
  obs::HttpMetrics http_metrics;
  service::OrderService orders(backends.store(), backends.queue(), *cache,
                               {cfg.currency, cfg.idempotency_ttl.count(), cfg.cache_ttl_order});
  service::CatalogService catalog(backends.store(), *cache, cache_ttls(cfg), cfg.currency);
  service::CartService carts(backends.store(), cart_store, orders);
  if (cfg.demo_data && run_on(io, catalog.load_demo_catalog(domain::demo_catalog())))
    log::info("demo catalog loaded (turn off with --no-demo-data)");

  // After a batch commits: what it changed leaves the cache, and confirmed checkouts empty
  // their carts. Both before the batch counts as processed.
  service::AfterCommit after_commit = [&](const store::BatchResult& r) -> asio::awaitable<void> {
    std::vector<std::string> keys;
    for (const auto& id : r.changed_orders) keys.push_back(service::OrderService::cache_key(id));
    co_await cache->invalidate(std::move(keys));
    if (!r.changed_products.empty()) co_await catalog.invalidate_products(r.changed_products);
    for (const auto& session : r.confirmed_sessions) co_await cart_store.clear(session);
  };
  std::optional<service::Worker> worker;
  if (cfg.role != Role::api)
    worker.emplace(backends.queue(), backends.store(), processing_rules(cfg),
                   service::WorkerOptions{cfg.worker_batch_size, cfg.worker_concurrency,
                                          std::chrono::milliseconds(1000)},
                   handler_stats, after_commit);
  obs::HealthMonitor health(backends.store(), backends.queue(),
                            cfg.cache_backend == "off" ? nullptr : cache.get());
  if (auto* reads = backends.read_router(); reads && reads->has_replicas())
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
  api::ApiContext ctx{backends.store(),
                      backends.queue(),
                      orders,
                      catalog,
                      carts,
                      *cache,
                      handler_stats,
                      worker ? &*worker : nullptr,
                      health,
                      cfg.admin_token,
                      now_ms(),
                      ready,
                      http_metrics,
                      [&backends] { return backends.pools(); },
                      api::openapi_document_for(routes)};
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

  if (!cfg.admin_token)
    log::warn("ADMIN_TOKEN is not set: admin endpoints are served to loopback clients only");
  const auto port = server.start();
  health.start(io, std::chrono::seconds(5));
  if (worker) worker->start(io);
  if (cfg.role != Role::worker && !redis_carts)  // Redis expires carts by itself
    asio::co_spawn(io, cart_cleanup(cart_store, cfg.cart_cleanup_interval), asio::detached);
  ready = true;
  log::info("listening", {{"host", cfg.host},
                          {"port", port},
                          {"role", to_string(cfg.role)},
                          {"database", backends.describe()},
                          {"queue", cfg.redis_queue ? "redis" : "database"},
                          {"cache", cfg.cache_backend},
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

}  // namespace

int run(int argc, char** argv) {
  CLI::App cli{"orderflow: event-driven order processing backend", "orderflow"};
  cli.footer(
      "Configuration comes from the environment (DATABASE_URL, REDIS_URL, QUEUE_BACKEND, …: the "
      "README's table); flags override it. Each subcommand has its own --help.");
  cli.require_subcommand(0, 1);

  std::optional<std::string> role, host, data_dir, log_level;
  std::optional<std::uint16_t> port;
  bool no_demo_data = false;
  const auto add_serve_flags = [&](CLI::App* app) {
    app->add_option("--role", role, "all (API and worker), api, or worker; default all");
    app->add_option("--host", host, "address to listen on (HOST; default 127.0.0.1)");
    app->add_option("--port", port, "port to listen on (PORT; default 3000)");
    app->add_option("--data-dir", data_dir,
                    "directory of the embedded database (DATA_DIR; default ./data)");
    app->add_option("--log-level", log_level, "debug, info, warn, error or off (LOG_LEVEL)");
    app->add_flag("--no-demo-data", no_demo_data,
                  "do not load the demo catalog into an empty database (DEMO_DATA=false)");
  };
  add_serve_flags(&cli);
  auto* serve_cmd = cli.add_subcommand("serve", "run the service (the default)");
  add_serve_flags(serve_cmd);
  auto* migrate_cmd =
      cli.add_subcommand("migrate", "create or upgrade the database schema, then exit");
  migrate_cmd->add_option("--data-dir", data_dir, "directory of the embedded database");
  auto* version_cmd = cli.add_subcommand("version", "print the version");
  auto* demo_cmd = cli.add_subcommand("demo-data", "load the demo catalog into an empty catalog");
  demo_cmd->add_option("--data-dir", data_dir, "directory of the embedded database");
  auto* queue_cmd = cli.add_subcommand("queue", "inspect or operate the queue");
  queue_cmd->add_option("--data-dir", data_dir, "directory of the embedded database");
  queue_cmd->require_subcommand(1);
  auto* q_stats = queue_cmd->add_subcommand("stats", "print queue statistics as JSON");
  auto* q_purge = queue_cmd->add_subcommand("purge", "delete every message of the main queue");
  std::size_t dlq_limit = 100;
  auto* q_dlq = queue_cmd->add_subcommand("dlq", "list dead letters as JSON");
  q_dlq->add_option("--limit", dlq_limit, "at most this many (default 100)");
  std::vector<std::string> redrive_ids;
  auto* q_redrive = queue_cmd->add_subcommand("redrive", "move dead letters back to the queue");
  q_redrive->add_option("message_ids", redrive_ids, "ids to move (default: all)");
  for (auto* sub : {q_stats, q_purge, q_dlq, q_redrive}) sub->fallthrough();

  try {
    cli.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return cli.exit(e);
  }

  try {
    if (version_cmd->parsed()) {
      std::cout << "orderflow " << ORDERFLOW_VERSION << "\n";
      return 0;
    }
    Config cfg = load_config(process_env());
    if (role) {
      auto r = parse_role(*role);
      if (!r) throw ConfigError("--role must be all, api or worker");
      cfg.role = *r;
    }
    if (host) cfg.host = *host;
    if (port) cfg.port = *port;
    if (data_dir) cfg.data_dir = *data_dir;
    if (log_level) cfg.log_level = *log_level;
    if (no_demo_data) cfg.demo_data = false;

    asio::io_context io;
    const auto redis = redis_client(cfg, io);
    const auto queue_redis = queue_redis_client(cfg, io);
    if (migrate_cmd->parsed()) {
      const auto b = open_backends(cfg, io, queue_redis.get());
      std::cout << "database ready: " << b->describe() << "\n";
      return 0;
    }
    if (demo_cmd->parsed()) {
      const auto b = open_backends(cfg, io, queue_redis.get());
      // Through the catalog service, so that a shared cache forgets the empty catalog.
      const auto cache = make_cache(cfg, redis.get());
      service::CatalogService catalog(b->store(), *cache, cache_ttls(cfg), cfg.currency);
      const bool loaded = run_on(io, catalog.load_demo_catalog(domain::demo_catalog()));
      std::cout << (loaded ? "demo catalog loaded\n"
                           : "the catalog is not empty: nothing loaded\n");
      return 0;
    }
    if (queue_cmd->parsed()) {
      const auto b = open_backends(cfg, io, queue_redis.get());
      json::value out;
      if (q_stats->parsed()) out = api::queue_stats_json(run_on(io, b->queue().stats()));
      if (q_purge->parsed()) out = json::object{{"purged", run_on(io, b->queue().purge())}};
      if (q_redrive->parsed())
        out = json::object{{"redriven", run_on(io, b->queue().redrive(redrive_ids))}};
      if (q_dlq->parsed()) {
        json::array a;
        for (const auto& d : run_on(io, b->queue().dead_letters(dlq_limit)))
          a.push_back(api::dead_letter_json(d));
        out = json::object{{"messages", std::move(a)}};
      }
      std::cout << json::serialize(out) << "\n";
      return 0;
    }
    return serve(std::move(cfg));
  } catch (const ConfigError& e) {
    std::cerr << "configuration error: " << e.what() << "\n";
    return 2;
  } catch (const std::exception& e) {
    log::error("fatal", {{"error", e.what()}});
    return 1;
  }
}

}  // namespace orderflow::app
