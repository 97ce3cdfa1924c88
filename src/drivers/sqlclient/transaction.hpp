#pragma once
// A transaction as a scope: in_transaction runs a body on one leased connection between BEGIN
// and COMMIT, and rolls back when the body throws. For any pool of drivers/sqlclient/pool.hpp
// whose Connection also has:
//   static Statement control(std::string sql);          BEGIN, COMMIT, ROLLBACK as a statement
//   using QueryError = ...;  static bool retryable(const QueryError&);
//                                                        a deadlock victim or a serialisation
//                                                        failure, worth running again
#include <boost/asio/awaitable.hpp>

#include <exception>
#include <optional>
#include <utility>
#include <vector>

namespace orderflow::sqlclient {

namespace detail {
template <typename Lease, typename Connection>
boost::asio::awaitable<void> run_control(Lease& lease, const char* sql) {
  std::vector<typename Connection::Statement> s;
  s.push_back(Connection::control(sql));
  co_await lease.execute(std::move(s));
}
}  // namespace detail

// Runs `body(lease)` inside one transaction and returns what it returns. A transaction the
// server aborted as a deadlock victim or a serialisation failure is run again (its body must
// read everything it needs inside the transaction), a few times.
template <typename T, typename Pool, typename Body>
boost::asio::awaitable<T> in_transaction(Pool& pool, Body body) {
  using Connection = typename Pool::ConnectionType;
  using Lease = typename Pool::Lease;
  constexpr int kAttempts = 4;
  for (int attempt = 1;; ++attempt) {
    auto lease = co_await pool.lease();
    co_await detail::run_control<Lease, Connection>(lease, "BEGIN");
    std::exception_ptr failed;
    bool retry = false;
    std::optional<T> out;
    try {
      out.emplace(co_await body(lease));
      co_await detail::run_control<Lease, Connection>(lease, "COMMIT");
    } catch (const typename Connection::QueryError& e) {
      failed = std::current_exception();
      retry = Connection::retryable(e) && attempt < kAttempts;
    } catch (...) {
      failed = std::current_exception();
    }
    if (!failed) co_return std::move(*out);
    try {
      co_await detail::run_control<Lease, Connection>(lease, "ROLLBACK");
    } catch (const std::exception&) {
      // A broken connection rolls back by itself.
    }
    if (!retry) std::rethrow_exception(failed);
  }
}

}  // namespace orderflow::sqlclient
