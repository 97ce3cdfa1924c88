#pragma once
// The backends every conformance suite runs against. A backend is done when it passes.
#include <cstdlib>
#include <memory>

#include "backends/postgres/pg_queue.hpp"
#include "backends/postgres/pg_store.hpp"
#include "backends/postgres/schema.hpp"
#include "backends/redis/redis_cart_store.hpp"
#include "backends/redis/redis_intake_store.hpp"
#include "backends/redis/redis_queue.hpp"
#include "backends/sqlite/schema.hpp"
#include "backends/sqlite/sqlite_queue.hpp"
#include "backends/sqlite/sqlite_store.hpp"
#include "base/ids.hpp"
#include "drivers/pg/pool.hpp"
#include "drivers/redis/client.hpp"
#include "drivers/sqlite/database.hpp"
#include "harness.hpp"

namespace orderflow::testing {

// A SQLite file at `path`, migrated to the current schema when opened.
inline sqlite::Database::Options migrated_file(std::string path, int readers = 2) {
  sqlite::Database::Options o{std::move(path), readers};
  o.prepare = sqlite::migrate;
  return o;
}

// Embedded: store and queue in one SQLite file. reopen() simulates a process restart.
class SqliteBackend {
 public:
  static constexpr const char* kName = "sqlite";
  static constexpr bool kSweepsExpired = true;
  SqliteBackend(queue::QueueOptions options, asio::io_context&) : options_(std::move(options)) {
    open();
  }

  queue::Queue& queue() { return *queue_; }
  store::Store& store() { return *store_; }
  store::CartStore& carts(std::chrono::milliseconds ttl) {
    carts_ = std::make_unique<store::SqliteCartStore>(*db_, ttl);
    return *carts_;
  }
  void reopen() {
    carts_.reset();
    store_.reset();
    queue_.reset();
    db_.reset();
    open();
  }

 private:
  void open() {
    db_ = std::make_unique<sqlite::Database>(migrated_file(dir_.file("test.db")));
    queue_ = std::make_unique<queue::SqliteQueue>(*db_, options_);
    store_ = std::make_unique<store::SqliteStore>(*db_, *queue_);
  }

  ScratchDir dir_;
  queue::QueueOptions options_;
  std::unique_ptr<sqlite::Database> db_;
  std::unique_ptr<queue::SqliteQueue> queue_;
  std::unique_ptr<store::SqliteStore> store_;
  std::unique_ptr<store::SqliteCartStore> carts_;
};

// A database of its own on the PostgreSQL server of DATABASE_URL (scripts/services starts it),
// created for one test and dropped after it.
class ScratchDatabase {
 public:
  explicit ScratchDatabase(asio::io_context& io) : io_(io) {
    const char* url = std::getenv("DATABASE_URL");
    if (!url)
      throw std::runtime_error("DATABASE_URL is not set: run the tests through scripts/test");
    base_ = url;
    name_ = "scratch_" + sha256_hex(uuid_v7()).substr(0, 16);
    admin_ = std::make_unique<pg::Pool>(io.get_executor(), pg::PoolOptions{base_, 1});
    exec("CREATE DATABASE " + name_);
  }
  ~ScratchDatabase() {
    try {
      exec("DROP DATABASE IF EXISTS " + name_ + " WITH (FORCE)");
    } catch (...) {
    }
  }
  std::string url() const { return base_.substr(0, base_.rfind('/') + 1) + name_; }
  // A pool on this database, migrated to the current schema.
  std::unique_ptr<pg::Pool> migrated_pool() {
    auto pool = std::make_unique<pg::Pool>(io_.get_executor(), pg::PoolOptions{url(), 4});
    run(io_, pg::migrate(*pool));
    return pool;
  }

 private:
  void exec(const std::string& sql) {
    std::vector<pg::Statement> s;
    s.push_back({sql, {}, false});
    run(io_, admin_->execute(std::move(s)));
  }
  asio::io_context& io_;
  std::string base_, name_;
  std::unique_ptr<pg::Pool> admin_;
};

// PostgreSQL: store, queue and carts in one fresh database per test. reopen() makes a new pool
// and objects on the same database (a restart).
class PgBackend {
 public:
  static constexpr const char* kName = "postgres";
  static constexpr bool kSweepsExpired = true;
  PgBackend(queue::QueueOptions options, asio::io_context& io)
      : io_(io), db_(io), options_(std::move(options)) {
    open();
  }
  ~PgBackend() { close(); }

  queue::Queue& queue() { return *queue_; }
  store::Store& store() { return *store_; }
  store::CartStore& carts(std::chrono::milliseconds ttl) {
    carts_ = std::make_unique<store::PgCartStore>(*pool_, ttl);
    return *carts_;
  }
  void reopen() {
    close();
    open();
  }

 private:
  void open() {
    pool_ = db_.migrated_pool();
    queue_ = std::make_unique<queue::PgQueue>(*pool_, options_);
    store_ = std::make_unique<store::PgStore>(*pool_, queue_.get());
  }
  void close() {
    carts_.reset();
    store_.reset();
    queue_.reset();
    pool_.reset();
  }

  asio::io_context& io_;
  ScratchDatabase db_;
  queue::QueueOptions options_;
  std::unique_ptr<pg::Pool> pool_;
  std::unique_ptr<queue::PgQueue> queue_;
  std::unique_ptr<store::PgStore> store_;
  std::unique_ptr<store::PgCartStore> carts_;
};

// The Redis of REDIS_URL (scripts/services starts one).
inline redis::Options redis_from_env() {
  const char* url = std::getenv("REDIS_URL");
  if (!url) throw std::runtime_error("REDIS_URL is not set: run the tests through scripts/test");
  return redis::parse_url(url).value();
}

// Carts in Redis, under a key prefix of their own per test.
class RedisCartBackend {
 public:
  static constexpr const char* kName = "redis";
  static constexpr bool kSweepsExpired = false;  // Redis expires keys by itself
  RedisCartBackend(queue::QueueOptions, asio::io_context& io)
      : client_(io.get_executor(), redis_from_env()) {}
  store::CartStore& carts(std::chrono::milliseconds ttl) {
    carts_ = std::make_unique<store::RedisCartStore>(client_, "test:" + uuid_v7() + ":", ttl);
    return *carts_;
  }

 private:
  redis::Client client_;
  std::unique_ptr<store::RedisCartStore> carts_;
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
  queue::RedisQueue& redis_queue() { return *queue_; }
  void reopen() {
    queue_.reset();
    client_.reset();
    open();
  }

 private:
  void open() {
    client_ = std::make_unique<redis::Client>(io_.get_executor(), redis_from_env());
    queue_ = std::make_unique<queue::RedisQueue>(io_.get_executor(), *client_, redis_from_env(),
                                                 options_, prefix_);
  }
  asio::io_context& io_;
  queue::QueueOptions options_;
  std::string prefix_;
  std::unique_ptr<redis::Client> client_;
  std::unique_ptr<queue::RedisQueue> queue_;
};

// QUEUE_BACKEND=redis: orders and catalog in a fresh PostgreSQL database, the intake and the
// queue in Redis under a key prefix of their own.
class PgRedisBackend {
 public:
  static constexpr const char* kName = "postgres_redis";
  PgRedisBackend(queue::QueueOptions options, asio::io_context& io)
      : db_(io), redis_(std::move(options), io) {
    open();
  }

  queue::Queue& queue() { return redis_.queue(); }
  store::Store& store() { return *store_; }
  store::Store& database_store() { return *orders_; }
  store::RedisIntakeStore& intake_store() { return *store_; }
  void reopen() {
    store_.reset();
    orders_.reset();
    pool_.reset();
    redis_.reopen();
    open();
  }

 private:
  void open() {
    pool_ = db_.migrated_pool();
    orders_ = std::make_unique<store::PgStore>(*pool_, nullptr);
    store_ = std::make_unique<store::RedisIntakeStore>(*orders_, redis_.redis_queue(),
                                                       std::chrono::hours(24));
  }

  ScratchDatabase db_;
  RedisQueueBackend redis_;
  std::unique_ptr<pg::Pool> pool_;
  std::unique_ptr<store::PgStore> orders_;
  std::unique_ptr<store::RedisIntakeStore> store_;
};

}  // namespace orderflow::testing
