#include "app/config.hpp"

#include <algorithm>
#include <cctype>
#include <cstdlib>

#include "app/config_values.hpp"
#include "base/percent.hpp"
#include "drivers/aws/settings.hpp"
#include "drivers/mysql/conninfo.hpp"
#include "http/client_address.hpp"

namespace orderflow::app {

using config_values::duration;
using config_values::number;
using config_values::read_secret_file;
using config_values::split_list;

EnvLookup process_env() {
  return [](const std::string& name) -> std::optional<std::string> {
    const char* v = std::getenv(name.c_str());
    if (!v || !*v) return std::nullopt;
    return std::string(v);
  };
}

EnvLookup fixed_env(std::map<std::string, std::string> vars) {
  return [vars = std::move(vars)](const std::string& name) -> std::optional<std::string> {
    const auto it = vars.find(name);
    if (it == vars.end()) return std::nullopt;
    return it->second;
  };
}

bool Config::mysql() const {
  return database_url && mysql::is_mysql_url(*database_url);
}

namespace {

// DB_HOST, DB_PORT (3306), DB_USER, DB_PASSWORD (or DB_PASSWORD_FILE), DB_NAME (orderflow).
template <typename WithSecret>
std::string mysql_url_from_parts(const EnvLookup& env, const WithSecret& with_secret) {
  std::string password;
  with_secret("DB_PASSWORD", [&](auto, auto v) { password = v; });
  const auto port = env("DB_PORT").value_or("3306");
  if (port.empty() ||
      !std::all_of(port.begin(), port.end(), [](char ch) { return ch >= '0' && ch <= '9'; }))
    throw ConfigError("DB_PORT must be a port number");
  std::string userinfo = percent_encode(env("DB_USER").value_or("root"));
  if (!password.empty()) userinfo += ":" + percent_encode(password);
  return "mysql://" + userinfo + "@" + *env("DB_HOST") + ":" + port + "/" +
         percent_encode(env("DB_NAME").value_or("orderflow"));
}

// QUEUE_BACKEND=sqs: SQS_QUEUE_URL, and AWS's own variables and files as the SDKs read them;
// AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY and AWS_SESSION_TOKEN also as NAME_FILE.
Config::Sqs sqs_settings(const EnvLookup& env) {
  const auto url = env("SQS_QUEUE_URL");
  if (!url)
    throw ConfigError(
        "QUEUE_BACKEND=sqs needs SQS_QUEUE_URL (a FIFO queue's URL, ending in .fifo)");
  if (!url->ends_with(".fifo"))
    throw ConfigError("SQS_QUEUE_URL must name a FIFO queue (its name ends in .fifo)");
  const aws::Lookup lookup = [&env](const std::string& name) -> std::optional<std::string> {
    if (name != "AWS_ACCESS_KEY_ID" && name != "AWS_SECRET_ACCESS_KEY" &&
        name != "AWS_SESSION_TOKEN")
      return env(name);
    const auto file_var = name + "_FILE";
    const auto direct = env(name), file = env(file_var);
    if (direct && file) throw ConfigError(file_var + " and " + name + " are both set: set one");
    if (file) return read_secret_file(file_var, *file);
    return direct;
  };
  Config::Sqs s;
  s.queue_url = *url;
  try {
    s.client.credentials = aws::find_credentials(lookup);
    s.client.region = aws::find_region(lookup, *url);
    if (s.client.region.empty())
      throw ConfigError("QUEUE_BACKEND=sqs needs AWS_REGION (SQS_QUEUE_URL does not say it)");
    s.client.endpoint = aws::sqs_endpoint(lookup, s.client.region);
  } catch (const std::invalid_argument& e) {
    throw ConfigError(e.what());
  }
  return s;
}

}  // namespace

std::string cache_backend_of(const Config& c) {
  if (c.cache_backend) return *c.cache_backend;
  if (c.redis) return "redis";
  return c.role == Role::all ? "memory" : "off";
}

Config load_config(const EnvLookup& env) {
  Config c;
  const auto with = [&](const char* name, auto apply) {
    if (auto v = env(name)) apply(std::string(name), *v);
  };
  // A secret NAME may instead come from the file that NAME_FILE names.
  const auto with_secret = [&](const char* name, auto apply) {
    const std::string file_var = std::string(name) + "_FILE";
    const auto direct = env(name), file = env(file_var);
    if (direct && file) throw ConfigError(file_var + " and " + name + " are both set: set one");
    if (file)
      apply(std::string(name), read_secret_file(file_var, *file));
    else if (direct)
      apply(std::string(name), *direct);
  };
  with_secret("DATABASE_URL", [&](auto, auto v) { c.database_url = v; });
  // The usual Node/MySQL variables, when there is no DATABASE_URL: a MySQL server.
  if (!c.database_url && env("DB_HOST")) c.database_url = mysql_url_from_parts(env, with_secret);
  const auto check_mysql_url = [](const std::string& name, const std::string& url) {
    try {
      mysql::parse_url(url);
    } catch (const std::invalid_argument& e) {
      throw ConfigError(name + ": " + e.what());
    }
  };
  if (c.mysql()) check_mysql_url("DATABASE_URL", *c.database_url);
  with_secret("DATABASE_REPLICA_URLS",
              [&](auto, auto v) { c.database_replica_urls = split_list(v); });
  for (const auto& url : c.database_replica_urls) {
    // Replicas of the primary's kind: the position read-your-writes waits for is the primary's.
    if (mysql::is_mysql_url(url) != c.mysql())
      throw ConfigError("DATABASE_REPLICA_URLS: each replica must be of DATABASE_URL's database");
    if (c.mysql()) check_mysql_url("DATABASE_REPLICA_URLS", url);
  }
  with("DB_POOL_SIZE",
       [&](auto n, auto v) { c.db_pool_size = number<std::size_t>(n, v, 1, 1000); });
  with("HOST", [&](auto, auto v) { c.host = v; });
  with("PORT", [&](auto n, auto v) { c.port = number<std::uint16_t>(n, v, 0, 65535); });
  with("DATA_DIR", [&](auto, auto v) { c.data_dir = v; });
  with("SQLITE_PATH", [&](auto, auto v) { c.sqlite_path = v; });
  with("LOG_LEVEL", [&](auto, auto v) { c.log_level = v; });
  with("HTTP_THREADS", [&](auto n, auto v) { c.http_threads = number<int>(n, v, 0, 256); });
  with("MAX_BODY_BYTES", [&](auto n, auto v) {
    c.max_body_bytes = number<std::size_t>(n, v, 1024, 64 * 1024 * 1024);
  });
  with("MAX_HEADER_BYTES",
       [&](auto n, auto v) { c.max_header_bytes = number<std::size_t>(n, v, 1024, 1024 * 1024); });
  with("MAX_URL_BYTES",
       [&](auto n, auto v) { c.max_url_bytes = number<std::size_t>(n, v, 256, 1024 * 1024); });
  if (c.max_url_bytes > c.max_header_bytes)
    throw ConfigError("MAX_URL_BYTES must not exceed MAX_HEADER_BYTES: the URL is in the header");
  with("MAX_CONNECTIONS",
       [&](auto n, auto v) { c.max_connections = number<std::size_t>(n, v, 1, 10'000'000); });
  with("RATE_LIMIT_RPS",
       [&](auto n, auto v) { c.rate_limit_rps = number<double>(n, v, 0.0, 1e9); });
  c.rate_limit_burst = std::max(1.0, c.rate_limit_rps);
  with("RATE_LIMIT_BURST",
       [&](auto n, auto v) { c.rate_limit_burst = number<double>(n, v, 1.0, 1e9); });
  with("TRUSTED_PROXIES", [&](auto n, auto v) {
    c.trusted_proxies = split_list(v);
    try {
      http::TrustedProxies::parse(c.trusted_proxies);
    } catch (const std::invalid_argument& e) {
      throw ConfigError(n + ": " + e.what());
    }
  });
  with("HEADER_TIMEOUT", [&](auto n, auto v) { c.header_timeout = duration(n, v); });
  with("BODY_TIMEOUT", [&](auto n, auto v) { c.body_timeout = duration(n, v); });
  with("IDLE_TIMEOUT", [&](auto n, auto v) { c.idle_timeout = duration(n, v); });
  with("SHUTDOWN_GRACE", [&](auto n, auto v) { c.shutdown_grace = duration(n, v); });
  with("SHUTDOWN_DELAY", [&](auto n, auto v) { c.shutdown_delay = duration(n, v); });
  with("CORS_ORIGINS", [&](auto, auto v) { c.cors_origins = split_list(v); });
  with_secret("ADMIN_TOKEN", [&](auto, auto v) { c.admin_token = v; });
  with("CURRENCY", [&](auto n, auto v) {
    if (v.size() != 3 ||
        !std::all_of(v.begin(), v.end(), [](char ch) { return ch >= 'A' && ch <= 'Z'; }))
      throw ConfigError(n + " must be an ISO 4217 upper-case code such as USD");
    c.currency = v;
  });
  with("TAX_RATE", [&](auto n, auto v) {
    auto r = domain::Rate::parse(v);
    if (!r || r->millionths > 1'000'000)
      throw ConfigError(n + " must be a decimal from 0 to 1, such as 0.08");
    c.tax_rate = *r;
  });
  with("PAYMENT_FAILURE_RATE",
       [&](auto n, auto v) { c.payment_failure_rate = number<double>(n, v, 0.0, 1.0); });
  with("IDEMPOTENCY_TTL", [&](auto n, auto v) { c.idempotency_ttl = duration(n, v); });
  with("VISIBILITY_TIMEOUT", [&](auto n, auto v) { c.queue.visibility_timeout = duration(n, v); });
  with("MAX_RETRIES", [&](auto n, auto v) { c.queue.max_retries = number<int>(n, v, 0, 100); });
  with("RETRY_DELAYS", [&](auto n, auto v) {
    c.queue.retry_delays.clear();
    for (const auto& d : split_list(v)) c.queue.retry_delays.push_back(duration(n, d));
  });
  with("DEDUP_WINDOW", [&](auto n, auto v) { c.queue.dedup_window = duration(n, v); });
  with("QUEUE_POLL_INTERVAL", [&](auto n, auto v) { c.queue.poll_interval = duration(n, v); });
  with("WORKER_BATCH_SIZE",
       [&](auto n, auto v) { c.worker_batch_size = number<std::size_t>(n, v, 1, 10'000); });
  with("WORKER_CONCURRENCY",
       [&](auto n, auto v) { c.worker_concurrency = number<int>(n, v, 1, 64); });
  with("SQLITE_READERS", [&](auto n, auto v) { c.sqlite_readers = number<int>(n, v, 1, 64); });
  const auto redis_url = [](const std::string& name, const std::string& v) {
    auto options = redis::parse_url(v);
    if (!options) throw ConfigError(name + " must look like redis://[:password@]host[:port][/db]");
    return *options;
  };
  with_secret("REDIS_URL", [&](auto n, auto v) { c.redis = redis_url(n, v); });
  // The seeds' separate variables: on their own, or refining REDIS_URL.
  const auto redis_part = [&]() -> redis::Options& {
    if (!c.redis) c.redis.emplace();
    return *c.redis;
  };
  with("REDIS_HOST", [&](auto, auto v) { redis_part().host = v; });
  with("REDIS_PORT", [&](auto n, auto v) { redis_part().port = number<int>(n, v, 1, 65535); });
  with_secret("REDIS_PASSWORD", [&](auto, auto v) { redis_part().password = v; });
  with("REDIS_DB", [&](auto n, auto v) { redis_part().db = number<int>(n, v, 0, 10'000); });
  with("REDIS_KEY_PREFIX", [&](auto, auto v) { c.redis_key_prefix = v; });
  with("CACHE_BACKEND", [&](auto n, auto v) {
    if (v != "memory" && v != "redis" && v != "off")
      throw ConfigError(n + " must be memory, redis or off");
    if (v == "redis" && !c.redis) throw ConfigError(n + "=redis needs REDIS_URL or REDIS_HOST");
    c.cache_backend = v;
  });
  with("CACHE_MAX_BYTES",
       [&](auto n, auto v) { c.cache_max_bytes = number<std::size_t>(n, v, 65536, 1ULL << 40); });
  with("CACHE_TTL_PRODUCT", [&](auto n, auto v) { c.cache_ttl_product = duration(n, v); });
  with("CACHE_TTL_LISTING", [&](auto n, auto v) { c.cache_ttl_listing = duration(n, v); });
  with("CACHE_TTL_CATEGORIES", [&](auto n, auto v) { c.cache_ttl_categories = duration(n, v); });
  with("CACHE_TTL_ORDER", [&](auto n, auto v) { c.cache_ttl_order = duration(n, v); });
  with("CART_TTL", [&](auto n, auto v) { c.cart_ttl = duration(n, v); });
  with("CART_CLEANUP_INTERVAL", [&](auto n, auto v) { c.cart_cleanup_interval = duration(n, v); });
  with("DEMO_DATA", [&](auto n, auto v) {
    if (v != "true" && v != "false") throw ConfigError(n + " must be true or false");
    c.demo_data = v == "true";
  });
  with("SQLITE_BUSY_TIMEOUT", [&](auto n, auto v) { c.sqlite_busy_timeout = duration(n, v); });
  if (!c.database_replica_urls.empty() && !c.database_url)
    throw ConfigError("DATABASE_REPLICA_URLS needs DATABASE_URL: replicas are of a primary");
  with_secret("QUEUE_REDIS_URL", [&](auto n, auto v) { c.queue_redis = redis_url(n, v); });
  with("QUEUE_BACKEND", [&](auto n, auto v) {
    if (v != "database" && v != "redis" && v != "sqs")
      throw ConfigError(n + " must be database, redis or sqs");
    // The intake records are in the database: PostgreSQL or MySQL, as the workers' orders.
    if (v == "sqs" && !c.database_url) throw ConfigError(n + "=sqs needs DATABASE_URL");
    if (v == "sqs") {
      c.sqs = sqs_settings(env);
      // Each receiver takes at most ten messages a call: more of them keep a worker busy.
      if (!env("WORKER_CONCURRENCY")) c.worker_concurrency = 8;
    }
    if (v == "redis" && !c.redis && !c.queue_redis)
      throw ConfigError(n + "=redis needs QUEUE_REDIS_URL, REDIS_URL or REDIS_HOST");
    // The Redis queue is for several processes; the embedded SQLite file serves only one.
    if (v == "redis" && !c.database_url) throw ConfigError(n + "=redis needs DATABASE_URL");
    c.redis_queue = v == "redis";
  });
  return c;
}

}  // namespace orderflow::app
