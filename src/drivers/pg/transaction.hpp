#pragma once
// A transaction as a scope: pg::in_transaction runs a body on one leased connection between
// BEGIN and COMMIT, and rolls back when the body throws.
#include <boost/asio/awaitable.hpp>

#include <exception>
#include <optional>
#include <utility>
#include <vector>

#include "drivers/pg/pool.hpp"

namespace orderflow::pg {

namespace detail {
inline boost::asio::awaitable<void> run_simple(Pool::Lease& lease, const char* sql) {
  std::vector<Statement> s;
  s.push_back({sql, {}, false});
  co_await lease.execute(std::move(s));
}
}  // namespace detail

// Runs `body(lease)` inside one transaction and returns what it returns. A transaction that
// PostgreSQL aborted as a deadlock victim or a serialisation failure is run again (its body
// must read everything it needs inside the transaction), a few times.
template <typename T, typename Body>
boost::asio::awaitable<T> in_transaction(Pool& pool, Body body) {
  constexpr int kAttempts = 4;
  for (int attempt = 1;; ++attempt) {
    auto lease = co_await pool.lease();
    co_await detail::run_simple(lease, "BEGIN");
    std::exception_ptr failed;
    bool retry = false;
    std::optional<T> out;
    try {
      out.emplace(co_await body(lease));
      co_await detail::run_simple(lease, "COMMIT");
    } catch (const QueryError& e) {
      failed = std::current_exception();
      retry = (e.sqlstate() == "40P01" || e.sqlstate() == "40001") && attempt < kAttempts;
    } catch (...) {
      failed = std::current_exception();
    }
    if (!failed) co_return std::move(*out);
    try {
      co_await detail::run_simple(lease, "ROLLBACK");
    } catch (const std::exception&) {
      // A broken connection rolls back by itself.
    }
    if (!retry) std::rethrow_exception(failed);
  }
}

}  // namespace orderflow::pg
