#pragma once
// The backends every conformance suite runs against. A backend is done when it passes.
#include <boost/json/serialize.hpp>

#include <cstdlib>
#include <map>
#include <memory>

#include "app/wiring.hpp"
#include "backends/mysql/mysql_schema.hpp"
#include "backends/postgres/pg_schema.hpp"
#include "backends/redis/redis_carts.hpp"
#include "backends/redis/redis_queue.hpp"
#include "backends/sqlite/sqlite_schema.hpp"
#include "backends/sqs/sqs_queue.hpp"
#include "base/ids.hpp"
#include "drivers/mysql/pool.hpp"
#include "drivers/pg/pool.hpp"
#include "drivers/redis/client.hpp"
#include "drivers/sqlite/database.hpp"
#include "harness.hpp"

namespace orderflow::testing {

namespace json = boost::json;

// A SQLite file at `path`, migrated to the current schema when opened.
inline sqlite::Database::Options migrated_file(std::string path, int readers = 2) {
  sqlite::Database::Options o;
  o.path = std::move(path);
  o.readers = readers;
  o.prepare = backends::migrate_sqlite;
  return o;
}

// A database of its own on the server `Kind::kUrlVariable` names (scripts/services starts it),
// created for one test and dropped after it.
template <class Kind>
class ScratchServerDatabase {
 public:
  using Pool = typename Kind::Pool;
  explicit ScratchServerDatabase(asio::io_context& io) : io_(io) {
    base_ = service_url(Kind::kUrlVariable);
    name_ = "scratch_" + sha256_hex(uuid_v7()).substr(0, 16);
    admin_ = std::make_unique<Pool>(io.get_executor(), sqlclient::PoolOptions{base_, 1});
    exec("CREATE DATABASE " + name_);
  }
  ~ScratchServerDatabase() {
    try {
      exec("DROP DATABASE IF EXISTS " + name_ + Kind::kDropOptions);
    } catch (...) {
    }
  }
  const std::string& name() const { return name_; }
  std::string url() const { return base_.substr(0, base_.rfind('/') + 1) + name_; }
  // A pool on this database, migrated to the current schema.
  std::unique_ptr<Pool> migrated_pool() {
    auto pool = std::make_unique<Pool>(io_.get_executor(), sqlclient::PoolOptions{url(), 4});
    run(io_, Kind::migrate(*pool));
    return pool;
  }

 private:
  void exec(const std::string& sql) {
    std::vector<typename Pool::Statement> s;
    s.push_back(Pool::ConnectionType::control(sql));
    run(io_, admin_->execute(std::move(s)));
  }
  asio::io_context& io_;
  std::string base_, name_;
  std::unique_ptr<Pool> admin_;
};

struct PostgresServer {
  using Pool = pg::Pool;
  static constexpr const char* kUrlVariable = "DATABASE_URL";
  static constexpr const char* kDropOptions = " WITH (FORCE)";  // its connections go too
  static constexpr auto migrate = backends::migrate_postgres;
};
using ScratchDatabase = ScratchServerDatabase<PostgresServer>;

struct MysqlServer {
  using Pool = mysql::Pool;
  static constexpr const char* kUrlVariable = "MYSQL_URL";
  static constexpr const char* kDropOptions = "";
  static constexpr auto migrate = backends::migrate_mysql;
};
using ScratchMysqlDatabase = ScratchServerDatabase<MysqlServer>;

// A backend as the service wires it (app::open_backends) from the configuration variables a
// user would set (Place::env(), for a place made for this test); carts(ttl) and reopen() open
// it again on the same data (a restart).
template <typename Place>
class WiredBackend : private Place {
 public:
  static constexpr const char* kName = Place::kName;
  static constexpr bool kSweepsExpired = true;
  WiredBackend(queue::QueueOptions options, asio::io_context& io)
      : Place(io), config_(app::load_config(app::fixed_env(Place::env()))), io_(io) {
    config_.queue = std::move(options);
    open();
  }
  queue::Queue& queue() { return *ports().queue; }
  const app::Ports& ports() const { return backends_->ports(); }
  ports::Carts& carts(std::chrono::milliseconds ttl) {
    config_.cart_ttl = ttl;
    reopen();
    return *ports().carts;
  }
  void reopen() {
    backends_.reset();
    queue_redis_.reset();
    open();
  }
  Place& place() { return *this; }

 private:
  void open() {
    queue_redis_ = app::queue_redis_client(config_, io_);
    backends_ = app::open_backends(config_, io_, queue_redis_.get());
  }

  app::Config config_;
  asio::io_context& io_;
  std::unique_ptr<redis::Client> queue_redis_;
  std::unique_ptr<app::Backends> backends_;
};

// Embedded: store and queue in one SQLite file in a scratch directory.
struct ScratchSqliteFile {
  static constexpr const char* kName = "sqlite";
  explicit ScratchSqliteFile(asio::io_context&) {}
  std::map<std::string, std::string> env() const {
    return {{"SQLITE_PATH", dir.file("test.db")}, {"SQLITE_READERS", "2"}};
  }
  ScratchDir dir;
};
using SqliteBackend = WiredBackend<ScratchSqliteFile>;

// PostgreSQL: store, queue and carts in one fresh database per test.
struct ScratchPgDatabase {
  static constexpr const char* kName = "postgres";
  explicit ScratchPgDatabase(asio::io_context& io) : database(io) {}
  std::map<std::string, std::string> env() const {
    return {{"DATABASE_URL", database.url()}, {"DB_POOL_SIZE", "4"}};
  }
  ScratchDatabase database;
};
using PgBackend = WiredBackend<ScratchPgDatabase>;

// MySQL (MariaDB here): store, queue and carts in one fresh database per test.
struct ScratchMysqlPlace {
  static constexpr const char* kName = "mysql";
  explicit ScratchMysqlPlace(asio::io_context& io) : database(io) {}
  std::map<std::string, std::string> env() const {
    return {{"DATABASE_URL", database.url()}, {"DB_POOL_SIZE", "4"}};
  }
  ScratchMysqlDatabase database;
};
using MysqlBackend = WiredBackend<ScratchMysqlPlace>;

// The Redis of REDIS_URL (scripts/services starts one).
inline redis::Options redis_from_env() {
  return redis::parse_url(service_url("REDIS_URL")).value();
}

// Carts in Redis, under a key prefix of their own per test.
class RedisCartBackend {
 public:
  static constexpr const char* kName = "redis";
  static constexpr bool kSweepsExpired = false;  // Redis expires keys by itself
  RedisCartBackend(queue::QueueOptions, asio::io_context& io)
      : client_(io.get_executor(), redis_from_env()) {}
  ports::Carts& carts(std::chrono::milliseconds ttl) {
    carts_ = backends::make_redis_carts(client_, "test:" + uuid_v7() + ":", ttl);
    return *carts_;
  }

 private:
  redis::Client client_;
  std::unique_ptr<ports::Carts> carts_;
};

// The queue in Redis, under a key prefix of its own per test. reopen() makes a new client and
// queue on the same keys (a restart).
class RedisQueueBackend {
 public:
  static constexpr const char* kName = "redis";
  RedisQueueBackend(queue::QueueOptions options, asio::io_context& io)
      : io_(io), options_(std::move(options)), prefix_("test:" + uuid_v7() + ":") {
    open();
  }
  queue::Queue& queue() { return *queue_; }
  backends::RedisQueue& redis_queue() { return *queue_; }
  void reopen() {
    queue_.reset();
    client_.reset();
    open();
  }

 private:
  void open() {
    client_ = std::make_unique<redis::Client>(io_.get_executor(), redis_from_env());
    queue_ = std::make_unique<backends::RedisQueue>(io_.get_executor(), *client_, redis_from_env(),
                                                    options_, prefix_);
  }
  asio::io_context& io_;
  queue::QueueOptions options_;
  std::string prefix_;
  std::unique_ptr<redis::Client> client_;
  std::unique_ptr<backends::RedisQueue> queue_;
};

// How a queue backend departs from the port's contract where its system does (SQS: see
// backends/sqs/sqs_queue.hpp); the suite checks what the backend promises.
struct QueueDeviations {
  bool reports_deduplication = true;  // SendResult::deduplicated and the counter
  bool dedup_window_configurable = true;
  bool reports_stale_deletes = true;  // remove() with a stale receipt says false
  bool counters_survive_restart = true;
  bool retry_wait_is_delayed = true;  // a failed message waiting counts as delayed
};
template <class Backend>
constexpr QueueDeviations deviations_of() {
  if constexpr (requires { Backend::kDeviations; })
    return Backend::kDeviations;
  else
    return {};
}

// The queue on a FIFO queue of the SQS emulator (SQS_ENDPOINT_URL), created for each test with
// a FIFO dead-letter queue after the options' deliveries (maxReceiveCount = max_retries + 1).
// reopen() makes a new client and queue on the same SQS queue (a restart).
class SqsQueueBackend {
 public:
  static constexpr const char* kName = "sqs";
  static constexpr QueueDeviations kDeviations{false, false, false, false, false};
  SqsQueueBackend(queue::QueueOptions options, asio::io_context& io)
      : io_(io), options_(std::move(options)) {
    open();
    const auto name = "test-" + uuid_v7();
    const auto dlq = create(name + "-dlq.fifo", {});
    json::object arn_request{{"QueueUrl", dlq}, {"AttributeNames", {"QueueArn"}}};
    const auto arn = run(io_, client_->call("GetQueueAttributes", std::move(arn_request)))
                         .at("Attributes")
                         .at("QueueArn");
    json::object policy{{"deadLetterTargetArn", arn},
                        {"maxReceiveCount", options_.max_retries + 1}};
    url_ = create(name + ".fifo", {{"RedrivePolicy", json::serialize(policy)}});
    queues_ = {url_, dlq};
    open();
  }
  ~SqsQueueBackend() {
    try {
      for (const auto& url : queues_) {
        json::object request{{"QueueUrl", url}};
        run(io_, client_->call("DeleteQueue", std::move(request)));
      }
    } catch (...) {
    }
  }
  queue::Queue& queue() { return *queue_; }
  void reopen() { open(); }
  // The emulator as orderflow is configured for it (scripts/services).
  static aws::SqsOptions client_options() {
    aws::SqsOptions o;
    o.endpoint = service_url("SQS_ENDPOINT_URL");
    o.region = "us-east-1";
    o.credentials = {"AKIDEXAMPLE", service_url("SQS_TEST_SECRET_ACCESS_KEY"), ""};
    return o;
  }

 private:
  std::string create(const std::string& name, json::object attributes) {
    attributes["FifoQueue"] = "true";
    json::object request{{"QueueName", name}, {"Attributes", std::move(attributes)}};
    return std::string(
        run(io_, client_->call("CreateQueue", std::move(request))).at("QueueUrl").as_string());
  }
  void open() {
    queue_.reset();
    client_ = std::make_unique<aws::SqsClient>(io_.get_executor(), client_options());
    if (url_.empty()) return;
    queue_ = std::make_unique<backends::SqsQueue>(*client_, url_, options_);
    run(io_, queue_->ready());
  }
  asio::io_context& io_;
  queue::QueueOptions options_;
  std::string url_;
  std::vector<std::string> queues_;
  std::unique_ptr<aws::SqsClient> client_;
  std::unique_ptr<backends::SqsQueue> queue_;
};

// QUEUE_BACKEND=redis in front of a database place: orders and catalog in its fresh database,
// the intake and the queue in the Redis of REDIS_URL under a key prefix of their own.
template <class Place, const char* Name>
struct WithRedisQueue : Place {
  static constexpr const char* kName = Name;
  explicit WithRedisQueue(asio::io_context& io) : Place(io) {}
  std::map<std::string, std::string> env() const {
    auto vars = Place::env();
    vars.insert({{"QUEUE_BACKEND", "redis"},
                 {"REDIS_URL", service_url("REDIS_URL")},
                 {"REDIS_KEY_PREFIX", key_prefix}});
    return vars;
  }
  std::string key_prefix = "test:" + uuid_v7() + ":";
};
inline constexpr char kPgRedis[] = "postgres_redis";
using PgRedisBackend = WiredBackend<WithRedisQueue<ScratchPgDatabase, kPgRedis>>;
// The stack of the usual Node order service: API, Redis Streams, workers writing to MySQL.
inline constexpr char kMysqlRedis[] = "mysql_redis";
using MysqlRedisBackend = WiredBackend<WithRedisQueue<ScratchMysqlPlace, kMysqlRedis>>;

}  // namespace orderflow::testing
