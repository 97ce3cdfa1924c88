#pragma once
#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "core/domain/money.hpp"
#include "core/ports/queue.hpp"
#include "drivers/aws/sqs_client.hpp"
#include "drivers/redis/client.hpp"

namespace orderflow::app {

class ConfigError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

enum class Role { all, api, worker };

// Everything configurable, from the environment (see README's table) and command-line flags.
struct Config {
  Role role = Role::all;
  std::string host = "127.0.0.1";
  std::uint16_t port = 3000;
  std::string data_dir = "./data";
  std::string sqlite_path;  // default: <data_dir>/orderflow.db
  // PostgreSQL (postgresql://) or MySQL (mysql://, mariadb://) instead of SQLite when set
  // (DATABASE_URL or the file named by DATABASE_URL_FILE; or, for MySQL, DB_HOST and friends).
  std::optional<std::string> database_url;
  bool mysql() const;  // DATABASE_URL names MySQL or MariaDB
  // Read replicas for lists and totals (DATABASE_REPLICA_URLS, comma-separated).
  std::vector<std::string> database_replica_urls;
  std::size_t db_pool_size = 20;
  std::string log_level = "info";
  int http_threads = 0;  // 0: one per core
  std::size_t max_body_bytes = 1024 * 1024;
  std::size_t max_header_bytes = 16 * 1024, max_url_bytes = 8 * 1024;
  std::size_t max_connections = 0;  // 0: sized from the file-descriptor limit at start
  // Per-client token bucket (0: off); the client behind a proxy listed in trusted_proxies is
  // the X-Forwarded-For entry that proxy added.
  double rate_limit_rps = 0, rate_limit_burst = 0;
  std::vector<std::string> trusted_proxies;
  std::chrono::milliseconds header_timeout{10'000}, body_timeout{30'000}, idle_timeout{60'000};
  std::chrono::milliseconds shutdown_grace{10'000};
  // How long /ready answers 503 before the listener closes, so load balancers stop routing first.
  std::chrono::milliseconds shutdown_delay{0};
  std::vector<std::string> cors_origins;
  std::optional<std::string> admin_token;

  std::string currency = "USD";
  domain::Rate tax_rate{80'000};
  double payment_failure_rate = 0.0;
  std::chrono::milliseconds idempotency_ttl{24 * 3600 * 1000};

  queue::QueueOptions queue;
  // QUEUE_BACKEND=redis: the queue and the orders' intake in Redis; otherwise in the database.
  bool redis_queue = false;
  // The Redis of the queue when it is not the cache's (QUEUE_REDIS_URL): the queue wants
  // appendfsync always, which a cache would pay for on every write.
  std::optional<redis::Options> queue_redis;
  const redis::Options& queue_redis_options() const { return queue_redis ? *queue_redis : *redis; }
  // QUEUE_BACKEND=sqs: the queue on this SQS FIFO queue (SQS_QUEUE_URL), the intake records in
  // the database; the client's region, endpoint and credentials found as the AWS SDKs find them.
  struct Sqs {
    std::string queue_url;
    aws::SqsOptions client;
  };
  std::optional<Sqs> sqs;
  std::size_t worker_batch_size = 256;
  int worker_concurrency = 2;
  int sqlite_readers = 2;
  // Redis (REDIS_URL, or REDIS_HOST/REDIS_PORT/REDIS_PASSWORD/REDIS_DB): cache and carts there,
  // shared by every process using it, under REDIS_KEY_PREFIX.
  std::optional<redis::Options> redis;
  std::string redis_key_prefix = "orderflow:";
  std::optional<std::string> cache_backend;  // memory | redis | off; unset: cache_backend_of()
  std::size_t cache_max_bytes = 64 * 1024 * 1024;
  std::chrono::milliseconds cache_ttl_product{3'600'000}, cache_ttl_listing{1'800'000},
      cache_ttl_categories{3'600'000}, cache_ttl_order{3'600'000};
  std::chrono::milliseconds cart_ttl{7 * 24 * 3'600'000LL};
  std::chrono::milliseconds cart_cleanup_interval{600'000};
  bool demo_data = true;
  std::chrono::milliseconds sqlite_busy_timeout{5000};
};

using EnvLookup = std::function<std::optional<std::string>(const std::string&)>;
EnvLookup process_env();
// An environment of the given variables only (a test's, for one).
EnvLookup fixed_env(std::map<std::string, std::string> vars);

// Reads the environment into a Config; throws ConfigError naming the bad variable.
Config load_config(const EnvLookup& env);

// The cache a process uses: CACHE_BACKEND; else Redis when it is configured (shared by every
// process); else the in-process cache for a process with every role, and none for an API or a
// worker process. The other role then runs in other processes, whose writes an in-process cache
// never hears of: an order cached as queued by an API process would stay so for its TTL.
std::string cache_backend_of(const Config& c);

// "250ms", "30s", "5m", "24h"; a bare number means seconds.
std::optional<std::chrono::milliseconds> parse_duration(std::string_view text);

std::string_view to_string(Role r);
std::optional<Role> parse_role(std::string_view s);

}  // namespace orderflow::app
