#pragma once
#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>

#include <chrono>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "drivers/pg/connection.hpp"

namespace orderflow::pg {

struct PoolOptions {
  std::string conninfo;
  std::size_t size = 20;  // DB_POOL_SIZE
  std::chrono::milliseconds connect_timeout{5000};
  std::chrono::milliseconds query_timeout{10000};
  // After a failed connect, requests fail fast for this long (doubling up to max_backoff)
  // instead of each waiting for its own connect timeout.
  std::chrono::milliseconds min_backoff{100}, max_backoff{5000};
};

struct PoolStats {
  std::size_t size = 0, connected = 0, leased = 0, in_flight = 0;
};

// A fixed number of connection slots, connected on demand and reconnected after a failure with
// backoff. Requests go to the least loaded connection (pipelining: many per connection);
// transactions that need results between statements lease a connection for themselves.
class Pool {
 public:
  Pool(boost::asio::any_io_executor executor, PoolOptions options);
  // Closes the connections at once: destroy a pool only while no thread runs its executor.
  ~Pool();

  boost::asio::awaitable<std::vector<Result>> execute(std::vector<Statement> statements);
  boost::asio::awaitable<Result> query(std::string sql, Params params = {});

  // Exclusive use of one connection until the lease is dropped.
  class Lease {
   public:
    Lease() = default;  // empty: holds nothing
    Lease(Pool& pool, std::size_t slot, std::shared_ptr<Connection> c)
        : pool_(&pool), slot_(slot), conn_(std::move(c)) {}
    Lease(Lease&& o) noexcept
        : pool_(std::exchange(o.pool_, nullptr)), slot_(o.slot_), conn_(std::move(o.conn_)) {}
    Lease(const Lease&) = delete;
    Lease& operator=(Lease&& o) noexcept {
      std::swap(pool_, o.pool_);
      std::swap(slot_, o.slot_);
      std::swap(conn_, o.conn_);
      return *this;
    }
    ~Lease();
    boost::asio::awaitable<std::vector<Result>> execute(std::vector<Statement> statements);

   private:
    Pool* pool_ = nullptr;
    std::size_t slot_ = 0;
    std::shared_ptr<Connection> conn_;
  };
  boost::asio::awaitable<Lease> lease();

  PoolStats stats() const;
  const PoolOptions& options() const { return options_; }
  const boost::asio::any_io_executor& executor() const { return executor_; }

 private:
  struct Slot {
    std::shared_ptr<Connection> conn;
    bool connecting = false, leased = false;
  };
  // Picks a usable slot (connecting one when needed); for a lease, only idle unleased ones.
  boost::asio::awaitable<std::pair<std::size_t, std::shared_ptr<Connection>>> acquire(
      bool exclusive);
  void release(std::size_t slot);

  boost::asio::any_io_executor executor_;
  PoolOptions options_;
  mutable std::mutex mutex_;
  std::vector<Slot> slots_;
  std::chrono::steady_clock::time_point retry_after_{};
  std::chrono::milliseconds backoff_;
  std::string last_error_;
};

}  // namespace orderflow::pg
