#pragma once
#include <boost/asio/awaitable.hpp>

#include <chrono>
#include <vector>

#include "drivers/pg/pool.hpp"
#include "drivers/pg/replicas.hpp"
#include "drivers/pg/transaction.hpp"

namespace orderflow::backends {

// The primary, and the read replicas lists may come from. Lists (orders, products,
// categories) and order totals are read through `reads`; everything else, including orders by
// id, their events, products by id (they carry the stock a checkout acts on) and idempotency
// checks, reads the primary.
class PgDatabase {
 public:
  using Pool = pg::Pool;
  using Lease = pg::Pool::Lease;

  PgDatabase(pg::Pool& pool, pg::ReadRouter* reads) : pool_(pool), reads_(reads) {}

  pg::Pool& primary() { return pool_; }
  // A read that may be slightly stale: on a replica when there are any.
  boost::asio::awaitable<std::vector<pg::Result>> read(std::vector<pg::Statement> statements) {
    if (!reads_) co_return co_await pool_.execute(std::move(statements));
    co_return co_await reads_->read(std::move(statements));
  }
  // After a write that lists show: this process's next lists must see it.
  boost::asio::awaitable<void> wrote() {
    if (reads_) co_await reads_->note_write();
  }
  // A transaction on the primary (pg::in_transaction) whose writes lists show: when it
  // committed, this process's next lists see it.
  template <typename T, typename Body>
  boost::asio::awaitable<T> write_transaction(Body body) {
    auto out = co_await pg::in_transaction<T>(pool_, std::move(body));
    co_await wrote();
    co_return out;
  }
  bool lists_may_lag() const { return reads_ && reads_->has_replicas(); }
  boost::asio::awaitable<void> replicas_caught_up() {
    if (lists_may_lag()) co_await reads_->wait_replayed(std::chrono::seconds(10));
  }

 private:
  pg::Pool& pool_;
  pg::ReadRouter* reads_;
};

}  // namespace orderflow::backends
