#pragma once
// A pool of connections to one SQL server, for any client whose Connection has:
//   static awaitable<shared_ptr<Connection>> connect(executor, conninfo, timeout);
//   awaitable<vector<sqlclient::Result>> execute(vector<Statement>, timeout);
//   bool broken() const; size_t in_flight() const; void close();
//   using Statement = ...; using Params = ...;  (Statement{sql, params}: one statement)
//   (and for in_transaction, drivers/sqlclient/transaction.hpp's members)
//   using Error = ...;  (what a lost or refused connection throws)
#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <algorithm>
#include <chrono>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "drivers/sqlclient/text_result.hpp"

namespace orderflow::sqlclient {

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
// backoff. Requests go to the least loaded connection (several per connection where the client
// pipelines or queues); transactions that need results between statements lease a connection
// for themselves.
template <class Connection>
class Pool {
 public:
  using ConnectionType = Connection;
  using Statement = typename Connection::Statement;
  using Params = typename Connection::Params;
  using ConnectionError = typename Connection::Error;

  Pool(boost::asio::any_io_executor executor, PoolOptions options)
      : executor_(std::move(executor)),
        options_(std::move(options)),
        slots_(std::max<std::size_t>(1, options_.size)),
        backoff_(options_.min_backoff) {}
  // Closes the connections at once: destroy a pool only while no thread runs its executor.
  ~Pool() {
    for (auto& s : slots_)
      if (s.conn) s.conn->close();
  }

  boost::asio::awaitable<std::vector<Result>> execute(std::vector<Statement> statements) {
    auto [slot, conn] = co_await acquire(false);
    co_return co_await conn->execute(std::move(statements), options_.query_timeout);
  }
  boost::asio::awaitable<Result> query(std::string sql, Params params = {}) {
    std::vector<Statement> one;
    one.push_back(Statement{std::move(sql), std::move(params)});
    auto results = co_await execute(std::move(one));
    co_return std::move(results.at(0));
  }

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
    ~Lease() {
      if (pool_) pool_->release(slot_);
    }
    boost::asio::awaitable<std::vector<Result>> execute(std::vector<Statement> statements) {
      co_return co_await conn_->execute(std::move(statements), pool_->options_.query_timeout);
    }

   private:
    Pool* pool_ = nullptr;
    std::size_t slot_ = 0;
    std::shared_ptr<Connection> conn_;
  };
  boost::asio::awaitable<Lease> lease() {
    auto [slot, conn] = co_await acquire(true);
    co_return Lease(*this, slot, std::move(conn));
  }

  PoolStats stats() const {
    std::lock_guard lock(mutex_);
    PoolStats s;
    s.size = slots_.size();
    for (const auto& slot : slots_) {
      if (slot.conn && !slot.conn->broken()) {
        ++s.connected;
        s.in_flight += slot.conn->in_flight();
      }
      if (slot.leased) ++s.leased;
    }
    return s;
  }
  const PoolOptions& options() const { return options_; }
  const boost::asio::any_io_executor& executor() const { return executor_; }

 private:
  using Clock = std::chrono::steady_clock;
  struct Slot {
    std::shared_ptr<Connection> conn;
    bool connecting = false, leased = false;
  };

  // Picks a usable slot (connecting one when needed); for a lease, only idle unleased ones.
  boost::asio::awaitable<std::pair<std::size_t, std::shared_ptr<Connection>>> acquire(
      bool exclusive) {
    const auto deadline = Clock::now() + options_.query_timeout;
    boost::asio::steady_timer wait(executor_);
    for (;;) {
      std::optional<std::size_t> to_connect;
      {
        std::lock_guard lock(mutex_);
        std::optional<std::size_t> best;
        for (std::size_t i = 0; i < slots_.size(); ++i) {
          auto& s = slots_[i];
          if (s.conn && s.conn->broken()) s.conn.reset();
          if (!s.conn || s.leased) continue;
          if (exclusive && s.conn->in_flight() > 0) continue;
          if (!best || s.conn->in_flight() < slots_[*best].conn->in_flight()) best = i;
        }
        // Use a connection that is idle, or connect another slot while there are free ones.
        if (best && (slots_[*best].conn->in_flight() == 0 || exclusive)) {
          if (exclusive) slots_[*best].leased = true;
          co_return std::make_pair(*best, slots_[*best].conn);
        }
        for (std::size_t i = 0; i < slots_.size() && !to_connect; ++i)
          if (!slots_[i].conn && !slots_[i].connecting) to_connect = i;
        if (!to_connect && best && !exclusive) co_return std::make_pair(*best, slots_[*best].conn);
        if (to_connect) {
          if (Clock::now() < retry_after_)
            throw ConnectionError("database unavailable: " + last_error_);
          slots_[*to_connect].connecting = true;
        }
      }
      if (to_connect) {
        std::shared_ptr<Connection> c;
        std::string error;
        try {
          c = co_await Connection::connect(executor_, options_.conninfo, options_.connect_timeout);
        } catch (const ConnectionError& e) {
          error = e.what();
        }
        std::lock_guard lock(mutex_);
        auto& slot = slots_[*to_connect];
        slot.connecting = false;
        if (!c) {
          last_error_ = error;
          retry_after_ = Clock::now() + backoff_;
          backoff_ = std::min(backoff_ * 2, options_.max_backoff);
          throw ConnectionError(error);
        }
        backoff_ = options_.min_backoff;
        slot.conn = c;
        if (exclusive) slot.leased = true;
        co_return std::make_pair(*to_connect, c);
      }
      // Every slot is leased or connecting: wait a little for one.
      if (Clock::now() >= deadline) throw ConnectionError("no database connection free in time");
      wait.expires_after(std::chrono::milliseconds(2));
      co_await wait.async_wait(boost::asio::use_awaitable);
    }
  }
  void release(std::size_t slot) {
    std::lock_guard lock(mutex_);
    slots_[slot].leased = false;
  }

  boost::asio::any_io_executor executor_;
  PoolOptions options_;
  mutable std::mutex mutex_;
  std::vector<Slot> slots_;
  Clock::time_point retry_after_{};
  std::chrono::milliseconds backoff_;
  std::string last_error_;
};

}  // namespace orderflow::sqlclient
