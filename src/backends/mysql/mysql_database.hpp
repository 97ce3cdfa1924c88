#pragma once
#include <boost/asio/awaitable.hpp>

#include <vector>

#include "drivers/mysql/pool.hpp"
#include "drivers/mysql/transaction.hpp"

namespace orderflow::backends {

// The primary, which every read and write goes to (the shared SQL code's `Db`, as PgDatabase).
class MysqlDatabase {
 public:
  using Pool = mysql::Pool;
  using Lease = mysql::Pool::Lease;

  explicit MysqlDatabase(mysql::Pool& pool) : pool_(pool) {}

  mysql::Pool& primary() { return pool_; }
  boost::asio::awaitable<std::vector<mysql::Result>> read(std::vector<mysql::Statement> s) {
    co_return co_await pool_.execute(std::move(s));
  }
  boost::asio::awaitable<void> wrote() { co_return; }
  template <typename T, typename Body>
  boost::asio::awaitable<T> write_transaction(Body body) {
    co_return co_await mysql::in_transaction<T>(pool_, std::move(body));
  }
  bool lists_may_lag() const { return false; }
  boost::asio::awaitable<void> replicas_caught_up() { co_return; }

 private:
  mysql::Pool& pool_;
};

}  // namespace orderflow::backends
