#pragma once
// An asynchronous MySQL/MariaDB connection on Asio: MariaDB Connector/C's non-blocking API
// (mysql_*_start / mysql_*_cont), its socket watched by an Asio descriptor, so that no I/O
// thread ever waits for the server.
#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>

#include <chrono>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "core/errors.hpp"
#include "drivers/mysql/statement.hpp"
#include "drivers/sqlclient/text_result.hpp"

namespace orderflow::mysql {

using Result = sqlclient::Result;
using Row = sqlclient::Row;

// The connection is unusable (lost, timed out, could not connect): try another or later.
// Clients see it as the database being unavailable (503).
class ConnectionError : public core::DependencyUnavailable {
 public:
  explicit ConnectionError(const std::string& what)
      : core::DependencyUnavailable("database", what) {}
};

// The server refused a statement (a duplicate key, a deadlock, bad SQL…): the connection is
// fine. `code()` is the server's error number (1062: duplicate key; 1213: deadlock).
class QueryError : public std::runtime_error {
 public:
  QueryError(unsigned code, std::string sqlstate, const std::string& what)
      : std::runtime_error(what), code_(code), sqlstate_(std::move(sqlstate)) {}
  unsigned code() const { return code_; }
  const std::string& sqlstate() const { return sqlstate_; }

 private:
  unsigned code_;
  std::string sqlstate_;
};

class Connection {
 public:
  using Statement = mysql::Statement;
  using Params = mysql::Params;
  using Error = ConnectionError;
  using QueryError = mysql::QueryError;
  static Statement control(std::string sql) { return {std::move(sql), {}, false}; }
  // A deadlock victim (1213) or a lock wait that timed out (1205): InnoDB rolled the
  // statement or the transaction back.
  static bool retryable(const QueryError& e) { return e.code() == 1213 || e.code() == 1205; }

  // Connects without blocking (the host name is looked up by Asio's resolver); `url` as
  // conninfo.hpp reads it. Throws ConnectionError after `timeout`.
  static boost::asio::awaitable<std::shared_ptr<Connection>> connect(
      boost::asio::any_io_executor executor, std::string url, std::chrono::milliseconds timeout);
  ~Connection();

  // Runs the statements in one round trip: one statement with values as a prepared statement
  // (prepared on its first use on this connection), others as one text query. Several
  // statements run in one transaction, all of them or none, unless one is open already on this
  // connection or the first statement opens one ("START TRANSACTION": a transaction over
  // several requests on a lease, whose owner commits or rolls back). Requests wait for the ones
  // before them; results come back in order, one per statement. A refused statement throws
  // QueryError, a lost connection ConnectionError.
  boost::asio::awaitable<std::vector<Result>> execute(std::vector<Statement> statements,
                                                      std::chrono::milliseconds timeout);

  bool broken() const;
  std::size_t in_flight() const;  // requests submitted and not finished
  // Fails what is queued with ConnectionError, at once. For owners' destructors: only while no
  // thread runs the executor.
  void close();

  struct Impl;

 private:
  explicit Connection(std::shared_ptr<Impl> impl) : impl_(std::move(impl)) {}
  std::shared_ptr<Impl> impl_;
};

}  // namespace orderflow::mysql
