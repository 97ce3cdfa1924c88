#pragma once
// An asynchronous PostgreSQL connection on Asio: libpq in non-blocking pipeline mode, its
// socket watched by an Asio descriptor, nothing blocking an I/O thread.
#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "core/errors.hpp"
#include "drivers/pg/result.hpp"

namespace orderflow::pg {

// The connection is unusable (lost, timed out, could not connect): try another or later.
// Clients see it as the database being unavailable (503).
class ConnectionError : public core::DependencyUnavailable {
 public:
  explicit ConnectionError(const std::string& what)
      : core::DependencyUnavailable("database", what) {}
};

class Connection {
 public:
  using Statement = pg::Statement;
  using Params = pg::Params;
  using Error = ConnectionError;
  using QueryError = pg::QueryError;
  // Transaction control is not worth a prepared statement.
  static Statement control(std::string sql) { return {std::move(sql), {}, false}; }
  // A deadlock victim or a serialisation failure.
  static bool retryable(const QueryError& e) {
    return e.sqlstate() == "40P01" || e.sqlstate() == "40001";
  }

  // Connects without blocking; throws ConnectionError after `timeout`.
  static boost::asio::awaitable<std::shared_ptr<Connection>> connect(
      boost::asio::any_io_executor executor, std::string conninfo,
      std::chrono::milliseconds timeout);
  ~Connection();

  // Runs the statements back to back in one pipeline segment: one implicit transaction (unless
  // they open one themselves), one round trip. Many requests may be in flight at once; results
  // come back in order. A failed statement throws QueryError and undoes the request.
  boost::asio::awaitable<std::vector<Result>> execute(std::vector<Statement> statements,
                                                      std::chrono::milliseconds timeout);

  // Calls `handler(channel)` for each NOTIFY received on a channel this connection LISTENs to;
  // the connection then keeps reading while idle. The handler runs on the connection's strand.
  void on_notification(std::function<void(std::string)> handler);

  bool broken() const;
  std::size_t in_flight() const;
  // Fails what is in flight with ConnectionError, at once. For owners' destructors: only while
  // no thread runs the executor (the service's I/O threads have stopped).
  void close();

  struct Impl;

 private:
  explicit Connection(std::shared_ptr<Impl> impl) : impl_(std::move(impl)) {}
  std::shared_ptr<Impl> impl_;
};

}  // namespace orderflow::pg
