#pragma once
// The backends every conformance suite runs against. A backend is done when it passes.
#include <cstdlib>
#include <memory>

#include "harness.hpp"
#include "pg/pool.hpp"
#include "pg/schema.hpp"
#include "queue/pg_queue.hpp"
#include "queue/sqlite_queue.hpp"
#include "sqlite/database.hpp"
#include "store/sqlite_store.hpp"
#include "util/ids.hpp"

namespace orderflow::testing {

// Embedded: store and queue in one SQLite file. reopen() simulates a process restart.
class SqliteBackend {
 public:
  static constexpr const char* kName = "sqlite";
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
    db_ = std::make_unique<sqlite::Database>(
        sqlite::Database::Options{dir_.file("test.db"), 2, 1024});
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

// PostgreSQL from DATABASE_URL (scripts/services starts it). Each fixture has a queue of its
// own name, so tests do not see each other's messages; reopen() makes a new pool and queue.
class PgQueueBackend {
 public:
  static constexpr const char* kName = "postgres";
  PgQueueBackend(queue::QueueOptions options, asio::io_context& io)
      : io_(io), options_(std::move(options)), name_("test-" + uuid_v7()) {
    open();
  }
  queue::Queue& queue() { return *queue_; }
  void reopen() {
    queue_.reset();
    pool_.reset();
    open();
  }

 private:
  void open() {
    const char* url = std::getenv("DATABASE_URL");
    if (!url)
      throw std::runtime_error("DATABASE_URL is not set: run the tests through scripts/test");
    pool_ = std::make_unique<pg::Pool>(io_.get_executor(), pg::PoolOptions{url, 4});
    run(io_, pg::migrate(*pool_));
    queue_ = std::make_unique<queue::PgQueue>(*pool_, options_, name_);
  }

  asio::io_context& io_;
  queue::QueueOptions options_;
  std::string name_;
  std::unique_ptr<pg::Pool> pool_;
  std::unique_ptr<queue::PgQueue> queue_;
};

}  // namespace orderflow::testing
