#include "drivers/pg/pool.hpp"

#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>

namespace orderflow::pg {

namespace asio = boost::asio;
using Clock = std::chrono::steady_clock;

Pool::Pool(asio::any_io_executor executor, PoolOptions options)
    : executor_(std::move(executor)),
      options_(std::move(options)),
      slots_(std::max<std::size_t>(1, options_.size)),
      backoff_(options_.min_backoff) {}

Pool::~Pool() {
  for (auto& s : slots_)
    if (s.conn) s.conn->close();
}

asio::awaitable<std::pair<std::size_t, std::shared_ptr<Connection>>> Pool::acquire(bool exclusive) {
  const auto deadline = Clock::now() + options_.query_timeout;
  asio::steady_timer wait(executor_);
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
    co_await wait.async_wait(asio::use_awaitable);
  }
}

void Pool::release(std::size_t slot) {
  std::lock_guard lock(mutex_);
  slots_[slot].leased = false;
}

asio::awaitable<std::vector<Result>> Pool::execute(std::vector<Statement> statements) {
  auto [slot, conn] = co_await acquire(false);
  co_return co_await conn->execute(std::move(statements), options_.query_timeout);
}

asio::awaitable<Result> Pool::query(std::string sql, Params params) {
  std::vector<Statement> one;
  one.push_back({std::move(sql), std::move(params), true});
  auto results = co_await execute(std::move(one));
  co_return std::move(results.at(0));
}

asio::awaitable<Pool::Lease> Pool::lease() {
  auto [slot, conn] = co_await acquire(true);
  co_return Lease(*this, slot, std::move(conn));
}

Pool::Lease::~Lease() {
  if (pool_) pool_->release(slot_);
}

asio::awaitable<std::vector<Result>> Pool::Lease::execute(std::vector<Statement> statements) {
  co_return co_await conn_->execute(std::move(statements), pool_->options_.query_timeout);
}

PoolStats Pool::stats() const {
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

}  // namespace orderflow::pg
