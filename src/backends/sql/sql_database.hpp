#pragma once
// The shared SQL code's `Db`: the primary, and the read replicas lists may come from, for any
// pool of drivers/sqlclient/pool.hpp and its drivers/sqlclient/read_router.hpp. Lists (orders,
// products, categories) and order totals are read through `reads`; everything else, including
// orders by id, their events, products by id (they carry the stock a checkout acts on) and
// idempotency checks, reads the primary.
#include <boost/asio/awaitable.hpp>

#include <chrono>
#include <vector>

#include "drivers/sqlclient/text_result.hpp"
#include "drivers/sqlclient/transaction.hpp"

namespace orderflow::backends {

template <class PoolType, class Router>
class SqlDatabase {
 public:
  using Pool = PoolType;
  using Lease = typename Pool::Lease;
  using Statement = typename Pool::Statement;

  // `reads` may be null: every read goes to the primary.
  SqlDatabase(Pool& pool, Router* reads) : pool_(pool), reads_(reads) {}

  Pool& primary() { return pool_; }
  // A read that may be slightly stale: on a replica when there are any.
  boost::asio::awaitable<std::vector<sqlclient::Result>> read(std::vector<Statement> statements) {
    if (!reads_) co_return co_await pool_.execute(std::move(statements));
    co_return co_await reads_->read(std::move(statements));
  }
  // After a write that lists show: this process's next lists must see it.
  boost::asio::awaitable<void> wrote() {
    if (reads_) co_await reads_->note_write();
  }
  // A transaction on the primary (sqlclient::in_transaction) whose writes lists show: when it
  // committed, this process's next lists see it.
  template <typename T, typename Body>
  boost::asio::awaitable<T> write_transaction(Body body) {
    auto out = co_await sqlclient::in_transaction<T>(pool_, std::move(body));
    co_await wrote();
    co_return out;
  }
  bool lists_may_lag() const { return reads_ && reads_->has_replicas(); }
  boost::asio::awaitable<void> replicas_caught_up() {
    if (lists_may_lag()) co_await reads_->wait_replayed(std::chrono::seconds(10));
  }

 private:
  Pool& pool_;
  Router* reads_;
};

}  // namespace orderflow::backends
