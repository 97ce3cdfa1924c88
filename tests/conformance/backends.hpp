#pragma once
// The backends every conformance suite runs against. A backend is done when it passes.
#include <memory>

#include "harness.hpp"
#include "queue/sqlite_queue.hpp"
#include "sqlite/database.hpp"
#include "store/sqlite_store.hpp"

namespace orderflow::testing {

// Embedded: store and queue in one SQLite file. reopen() simulates a process restart.
class SqliteBackend {
 public:
  static constexpr const char* kName = "sqlite";
  explicit SqliteBackend(queue::QueueOptions options) : options_(std::move(options)) { open(); }

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

}  // namespace orderflow::testing
