#include "drivers/mysql/connection.hpp"

#include <mysql.h>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/ip/address.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <poll.h>
#include <unistd.h>

#include <atomic>
#include <charconv>
#include <csignal>
#include <deque>
#include <functional>
#include <mutex>
#include <unordered_map>

#include "base/async.hpp"
#include "drivers/mysql/conninfo.hpp"

namespace orderflow::mysql {

namespace asio = boost::asio;
using Descriptor = asio::posix::stream_descriptor;

namespace {

void init_library() {
  // mysql_init would do this on first use, but not thread-safely; and a write to a server that
  // went away would raise SIGPIPE: ignored, the write fails with EPIPE instead.
  static std::once_flag once;
  std::call_once(once, [] {
    mysql_library_init(0, nullptr, nullptr);
    std::signal(SIGPIPE, SIG_IGN);
  });
}

// Errors after which the connection cannot be used again: the client's own (2000-2999, and
// Connector/C's 5000s: network, TLS), and the server's "going away" ones.
bool connection_lost(unsigned code) {
  return code >= 2000 || code == 1053 /* shutdown */ || code == 1927 /* connection killed */ ||
         code == 1152 || code == 1158 || code == 1159 || code == 1160 || code == 1161;
}

bool opens_transaction(const Statement& s) {
  return s.sql == "START TRANSACTION" || s.sql == "BEGIN";
}

Result copy_result(MYSQL_RES* res) {
  Result out;
  const unsigned columns = mysql_num_fields(res);
  const MYSQL_FIELD* fields = mysql_fetch_fields(res);
  for (unsigned c = 0; c < columns; ++c) out.columns.emplace_back(fields[c].name);
  out.rows.reserve(mysql_num_rows(res));
  while (MYSQL_ROW row = mysql_fetch_row(res)) {
    const unsigned long* lengths = mysql_fetch_lengths(res);
    std::vector<std::optional<std::string>> values;
    values.reserve(columns);
    for (unsigned c = 0; c < columns; ++c) {
      if (row[c])
        values.emplace_back(std::string(row[c], lengths[c]));
      else
        values.emplace_back(std::nullopt);
    }
    out.rows.push_back(std::move(values));
  }
  return out;
}

}  // namespace

struct Connection::Impl : std::enable_shared_from_this<Impl> {
  struct Request {
    std::vector<Statement> statements;
    std::chrono::milliseconds timeout;
    std::shared_ptr<std::vector<Result>> results;  // await_result's holder
    Completion done;
  };
  using Continue = std::function<int(int events)>;  // a mysql_*_cont call: its new wait status

  Impl(asio::any_io_executor ex, MYSQL* m)
      : strand(asio::make_strand(ex)), socket(strand), deadline(strand), waits(strand), mysql(m) {}
  ~Impl() { shutdown(); }

  asio::strand<asio::any_io_executor> strand;
  Descriptor socket;
  asio::steady_timer deadline;  // of the running request
  asio::steady_timer waits;     // the connector's own timeouts
  MYSQL* mysql;
  std::deque<std::shared_ptr<Request>> queue;  // the front one runs
  bool running = false;
  bool idle_watched = false;
  std::atomic<bool> broken{false};
  std::atomic<std::size_t> pending{0};

  // Prepared statements of this connection by their SQL, at most kMaxPrepared (the server
  // counts them against max_prepared_stmt_count; past the cap, requests go as text).
  static constexpr std::size_t kMaxPrepared = 64;
  std::unordered_map<std::string, MYSQL_STMT*> prepared;
  bool prepare_refused = false;  // the server's limit was reached: text from now on

  // The running request.
  MYSQL_STMT* stmt = nullptr;  // when it runs as a prepared statement
  std::vector<MYSQL_BIND> binds;
  std::vector<long long> numbers;  // the integer values binds point to
  std::string text;
  bool wrapped = false;  // in START TRANSACTION … COMMIT of our own
  std::size_t result_index = 0;
  std::optional<QueryError> refused;
  // What the last mysql_*_start/_cont call returned through its first argument.
  int int_ret = 0;
  MYSQL_RES* res_ret = nullptr;

  void shutdown() {
    boost::system::error_code ignored;
    socket.close(ignored);  // our duplicate of the connector's descriptor
    if (mysql) mysql_close(mysql);
    mysql = nullptr;
    // Closed with the connection, the statements are only freed now (no I/O).
    for (auto& [sql, s] : prepared) mysql_stmt_close(s);
    prepared.clear();
  }

  // Asio watches a duplicate of the connector's descriptor: the connector closes its own when a
  // connect fails, and the number could be reused by another socket (on any thread) before
  // Asio let go of it, which would then stop watching that socket instead.
  void watch_socket() {
    const int fd = ::dup(mysql_get_socket(mysql));
    if (fd < 0) throw ConnectionError("cannot watch the connection's socket");
    socket.assign(fd);
  }

  void fail_all(const std::string& why) {
    broken = true;
    boost::system::error_code ignored;
    if (socket.is_open()) socket.cancel(ignored);
    deadline.cancel();
    waits.cancel();
    shutdown();
    auto failed = std::move(queue);
    queue.clear();
    running = false;
    for (auto& r : failed) {
      --pending;
      r->done(std::make_exception_ptr(ConnectionError(why)));
    }
  }

  // Calls `next` once the operation whose last call returned `status` is complete, calling
  // `cont` each time the socket (or the connector's timer) is ready for it.
  void drive(int status, Continue cont, std::function<void()> next) {
    if (status == 0) return next();
    if (!(status & (MYSQL_WAIT_READ | MYSQL_WAIT_WRITE))) {
      waits.expires_after(std::chrono::milliseconds(mysql_get_timeout_value_ms(mysql)));
      waits.async_wait([self = shared_from_this(), cont = std::move(cont),
                        next = std::move(next)](const boost::system::error_code& ec) mutable {
        if (ec || self->broken) return;
        const int status = cont(MYSQL_WAIT_TIMEOUT);  // before `cont` moves on
        self->drive(status, std::move(cont), std::move(next));
      });
      return;
    }
    const bool read = status & MYSQL_WAIT_READ;
    socket.async_wait(read ? Descriptor::wait_read : Descriptor::wait_write,
                      [self = shared_from_this(), read, cont = std::move(cont),
                       next = std::move(next)](const boost::system::error_code& ec) mutable {
                        if (ec || self->broken) return;
                        const int status = cont(read ? MYSQL_WAIT_READ : MYSQL_WAIT_WRITE);
                        self->drive(status, std::move(cont), std::move(next));
                      });
  }

  void submit(std::shared_ptr<Request> req) {
    if (broken || !mysql) {
      req->done(std::make_exception_ptr(ConnectionError("connection is closed")));
      return;
    }
    ++pending;
    queue.push_back(std::move(req));
    if (!running) start_next();
  }

  // While idle, a connection the server closed (a restart, KILL, wait_timeout) is noticed at
  // once and replaced by the pool, rather than failing the next request sent on it.
  void watch_idle() {
    if (idle_watched || broken) return;
    idle_watched = true;
    socket.async_wait(Descriptor::wait_read,
                      [self = shared_from_this()](const boost::system::error_code& ec) {
                        self->idle_watched = false;
                        // Readable during a request is its answer. Readable while idle without the
                        // peer's FIN (TLS session tickets) is left for the next request's read.
                        if (ec || self->broken || self->running) return;
                        pollfd p{self->socket.native_handle(), POLLRDHUP, 0};
                        if (::poll(&p, 1, 0) > 0 && (p.revents & (POLLRDHUP | POLLHUP | POLLERR)))
                          self->fail_all("the server closed the connection");
                      });
  }

  void start_next() {
    if (queue.empty()) {
      running = false;
      watch_idle();
      return;
    }
    running = true;
    auto& req = *queue.front();
    result_index = 0;
    refused.reset();
    deadline.expires_after(req.timeout);
    deadline.async_wait([self = shared_from_this()](const boost::system::error_code& ec) {
      // A statement that does not answer in time leaves the connection in an unknown state:
      // drop the connection, and with it every request queued on it.
      if (!ec && !self->broken) self->fail_all("query timed out");
    });
    if (preparable(req)) return start_prepared();
    start_text();
  }

  void start_text() {
    auto& req = *queue.front();
    wrapped = req.statements.size() > 1 && !(mysql->server_status & SERVER_STATUS_IN_TRANS) &&
              !opens_transaction(req.statements.front());
    text.clear();
    const Escape escape = [this](std::string& out, std::string_view value) {
      const auto at = out.size();
      out.resize(at + value.size() * 2 + 1);
      const auto n = mysql_real_escape_string(mysql, out.data() + at, value.data(),
                                              static_cast<unsigned long>(value.size()));
      out.resize(at + n);
    };
    try {
      if (wrapped) text = "START TRANSACTION;";
      for (std::size_t i = 0; i < req.statements.size(); ++i) {
        if (i) text += ';';
        render(text, req.statements[i], escape);
      }
      if (wrapped) text += ";COMMIT";
    } catch (...) {
      return finish(std::current_exception());
    }
    const int status = mysql_real_query_start(&int_ret, mysql, text.data(),
                                              static_cast<unsigned long>(text.size()));
    drive(
        status, [this](int events) { return mysql_real_query_cont(&int_ret, mysql, events); },
        [this] { int_ret ? on_error() : store(); });
  }

  // One statement with values: the binary protocol, no value in the statement's text.
  bool preparable(const Request& req) const {
    if (req.statements.size() != 1 || prepare_refused) return false;
    const auto& s = req.statements.front();
    return s.prepare && !s.params.empty() &&
           (prepared.contains(s.sql) || prepared.size() < kMaxPrepared);
  }

  void start_prepared() {
    const auto& sql = queue.front()->statements.front().sql;
    if (const auto it = prepared.find(sql); it != prepared.end()) {
      stmt = it->second;
      return execute_prepared();
    }
    stmt = mysql_stmt_init(mysql);
    if (!stmt) return finish(std::make_exception_ptr(std::bad_alloc()));
    const int status = mysql_stmt_prepare_start(&int_ret, stmt, sql.data(),
                                                static_cast<unsigned long>(sql.size()));
    drive(
        status, [this](int events) { return mysql_stmt_prepare_cont(&int_ret, stmt, events); },
        [this] {
          if (int_ret) return on_statement_error(true);
          prepared.emplace(queue.front()->statements.front().sql, stmt);
          execute_prepared();
        });
  }

  void execute_prepared() {
    const auto& params = queue.front()->statements.front().params;
    if (mysql_stmt_param_count(stmt) != params.size())
      return finish_prepared(std::make_exception_ptr(
          std::logic_error("MySQL statement: placeholders and values differ in number")));
    binds.assign(params.size(), MYSQL_BIND{});
    numbers.assign(params.size(), 0);
    for (std::size_t i = 0; i < params.size(); ++i) {
      const auto& value = params[i].value();
      auto& b = binds[i];
      const auto* end = value ? value->data() + value->size() : nullptr;
      if (!value) {
        b.buffer_type = MYSQL_TYPE_NULL;
      } else if (params[i].is_number() &&
                 std::from_chars(value->data(), end, numbers[i]).ptr == end) {
        b.buffer_type = MYSQL_TYPE_LONGLONG;
        b.buffer = &numbers[i];
      } else {  // text, or digits past 64 bits (the server converts them as it would a literal)
        b.buffer_type = MYSQL_TYPE_STRING;
        b.buffer = const_cast<char*>(value->data());
        b.buffer_length = static_cast<unsigned long>(value->size());
      }
    }
    if (mysql_stmt_bind_param(stmt, binds.data())) return on_statement_error(false);
    const int status = mysql_stmt_execute_start(&int_ret, stmt);
    drive(
        status, [this](int events) { return mysql_stmt_execute_cont(&int_ret, stmt, events); },
        [this] {
          if (int_ret) return on_statement_error(false);
          if (mysql_stmt_field_count(stmt) == 0) {
            Result r;
            r.affected = static_cast<std::int64_t>(mysql_stmt_affected_rows(stmt));
            queue.front()->results->push_back(std::move(r));
            return finish_prepared(nullptr);
          }
          const int stored = mysql_stmt_store_result_start(&int_ret, stmt);
          drive(
              stored,
              [this](int events) { return mysql_stmt_store_result_cont(&int_ret, stmt, events); },
              [this] {
                if (int_ret) return on_statement_error(false);
                fetch_prepared();
              });
        });
  }

  // The stored rows, each value as text as the text protocol would give it (the connector
  // converts integers): the shared SQL code reads one kind of result.
  void fetch_prepared() {
    Result r;
    if (MYSQL_RES* meta = mysql_stmt_result_metadata(stmt)) {
      const unsigned columns = mysql_num_fields(meta);
      const MYSQL_FIELD* fields = mysql_fetch_fields(meta);
      for (unsigned c = 0; c < columns; ++c) r.columns.emplace_back(fields[c].name);
      mysql_free_result(meta);
    }
    const auto n = r.columns.size();
    std::vector<MYSQL_BIND> out(n, MYSQL_BIND{});
    std::vector<std::string> buffers(n, std::string(64, '\0'));
    std::vector<unsigned long> lengths(n);
    std::vector<my_bool> nulls(n), errors(n);
    for (std::size_t c = 0; c < n; ++c) {
      out[c].buffer_type = MYSQL_TYPE_STRING;
      out[c].buffer = buffers[c].data();
      out[c].buffer_length = static_cast<unsigned long>(buffers[c].size());
      out[c].length = &lengths[c];
      out[c].is_null = &nulls[c];
      out[c].error = &errors[c];
    }
    if (mysql_stmt_bind_result(stmt, out.data())) return on_statement_error(false);
    r.rows.reserve(mysql_stmt_num_rows(stmt));
    for (;;) {
      const int rc = mysql_stmt_fetch(stmt);
      if (rc == MYSQL_NO_DATA) break;
      if (rc == 1) return on_statement_error(false);
      std::vector<std::optional<std::string>> row;
      row.reserve(n);
      for (std::size_t c = 0; c < n; ++c) {
        if (nulls[c]) {
          row.emplace_back(std::nullopt);
        } else if (lengths[c] <= buffers[c].size()) {
          row.emplace_back(std::string(buffers[c].data(), lengths[c]));
        } else {  // longer than the first buffer: fetched again whole
          std::string whole(lengths[c], '\0');
          MYSQL_BIND b{};
          b.buffer_type = MYSQL_TYPE_STRING;
          b.buffer = whole.data();
          b.buffer_length = static_cast<unsigned long>(whole.size());
          if (mysql_stmt_fetch_column(stmt, &b, static_cast<unsigned>(c), 0))
            return on_statement_error(false);
          row.emplace_back(std::move(whole));
        }
      }
      r.rows.push_back(std::move(row));
    }
    queue.front()->results->push_back(std::move(r));
    finish_prepared(nullptr);
  }

  void finish_prepared(std::exception_ptr error) {
    if (stmt) mysql_stmt_free_result(stmt);  // stored rows only: no I/O
    stmt = nullptr;
    finish(error);
  }

  // `unprepared`: the statement failed to prepare and is freed (it holds nothing on the server).
  void on_statement_error(bool unprepared) {
    const unsigned code = mysql_stmt_errno(stmt);
    const std::string message = mysql_stmt_error(stmt);
    const std::string sqlstate = mysql_stmt_sqlstate(stmt);
    if (unprepared) {
      mysql_stmt_close(stmt);
      stmt = nullptr;
    }
    if (connection_lost(code)) return fail_all(message);
    if (code == 1461) {  // max_prepared_stmt_count reached on the server: as text, from now on
      prepare_refused = true;
      stmt = nullptr;
      return start_text();
    }
    finish_prepared(std::make_exception_ptr(QueryError(code, sqlstate, message)));
  }

  void store() {
    const int status = mysql_store_result_start(&res_ret, mysql);
    drive(
        status, [this](int events) { return mysql_store_result_cont(&res_ret, mysql, events); },
        [this] { on_stored(); });
  }

  void on_stored() {
    MYSQL_RES* res = std::exchange(res_ret, nullptr);
    if (!res && mysql_field_count(mysql) != 0) return on_error();
    Result r;
    if (res) {
      r = copy_result(res);
      mysql_free_result(res);
    } else {
      r.affected = static_cast<std::int64_t>(mysql_affected_rows(mysql));
    }
    // Our own START TRANSACTION and COMMIT answer too: not the caller's results.
    const auto statements = queue.front()->statements.size();
    const bool own = wrapped && (result_index == 0 || result_index > statements);
    if (!own) queue.front()->results->push_back(std::move(r));
    ++result_index;
    if (!mysql_more_results(mysql)) return finish(nullptr);
    const int status = mysql_next_result_start(&int_ret, mysql);
    drive(
        status, [this](int events) { return mysql_next_result_cont(&int_ret, mysql, events); },
        [this] {
          if (int_ret > 0) return on_error();
          if (int_ret == 0) return store();
          finish(nullptr);
        });
  }

  void on_error() {
    const unsigned code = mysql_errno(mysql);
    const std::string message = mysql_error(mysql);
    if (connection_lost(code)) return fail_all(message);
    refused.emplace(code, mysql_sqlstate(mysql), message);
    // The statements after a refused one did not run; ours left a transaction open.
    if (!wrapped) return finish(std::make_exception_ptr(*refused));
    wrapped = false;
    static constexpr std::string_view kRollback = "ROLLBACK";
    const int status = mysql_real_query_start(&int_ret, mysql, kRollback.data(),
                                              static_cast<unsigned long>(kRollback.size()));
    drive(
        status, [this](int events) { return mysql_real_query_cont(&int_ret, mysql, events); },
        [this] {
          if (int_ret) return fail_all(mysql_error(mysql));
          finish(std::make_exception_ptr(*refused));
        });
  }

  void finish(std::exception_ptr error) {
    deadline.cancel();
    auto req = std::move(queue.front());
    queue.pop_front();
    --pending;
    req->done(error);
    start_next();
  }
};

asio::awaitable<std::shared_ptr<Connection>> Connection::connect(
    asio::any_io_executor executor, std::string url, std::chrono::milliseconds timeout) {
  init_library();
  ConnInfo info;
  try {
    info = parse_url(url);
  } catch (const std::invalid_argument& e) {
    throw ConnectionError(std::string("bad MySQL URL: ") + e.what());
  }
  // The connector would look the name up itself, blocking this thread.
  std::string address = info.host;
  boost::system::error_code not_an_address;
  asio::ip::make_address(address, not_an_address);
  if (not_an_address) {
    asio::ip::tcp::resolver resolver(executor);
    auto [ec, found] = co_await resolver.async_resolve(info.host, std::to_string(info.port),
                                                       asio::as_tuple(asio::use_awaitable));
    if (ec || found.empty())
      throw ConnectionError("cannot resolve " + info.host + ": " +
                            (ec ? ec.message() : "no address"));
    address = found.begin()->endpoint().address().to_string();
  }

  MYSQL* m = mysql_init(nullptr);
  if (!m) throw ConnectionError("out of memory");
  auto impl = std::make_shared<Impl>(executor, m);
  mysql_options(m, MYSQL_OPT_NONBLOCK, nullptr);
  mysql_options(m, MYSQL_SET_CHARSET_NAME, "utf8mb4");
  // As on PostgreSQL: a locking read sees the latest committed rows and locks the ones it
  // returns, not the gaps it walks (InnoDB's default, REPEATABLE READ, would block inserts into
  // them: every send behind a receive).
  mysql_options(m, MYSQL_INIT_COMMAND, "SET SESSION TRANSACTION ISOLATION LEVEL READ COMMITTED");
  const unsigned connect_seconds =
      static_cast<unsigned>(std::max<std::int64_t>(1, (timeout.count() + 999) / 1000));
  mysql_options(m, MYSQL_OPT_CONNECT_TIMEOUT, &connect_seconds);
  if (info.ssl_mode >= SslMode::required) {
    const my_bool yes = 1;
    mysql_options(m, MYSQL_OPT_SSL_ENFORCE, &yes);
    if (info.ssl_mode >= SslMode::verify_ca)
      mysql_options(m, MYSQL_OPT_SSL_VERIFY_SERVER_CERT, &yes);
    if (info.ssl_ca) mysql_options(m, MYSQL_OPT_SSL_CA, info.ssl_ca->c_str());
  }
  MYSQL* connected = nullptr;
  // CLIENT_FOUND_ROWS: an UPDATE counts the rows it matched, as PostgreSQL does, not only those
  // it changed. CLIENT_MULTI_STATEMENTS: a request's statements go as one query.
  int status = mysql_real_connect_start(&connected, m, address.c_str(), info.user.c_str(),
                                        info.password.c_str(), info.database.c_str(), info.port,
                                        nullptr, CLIENT_FOUND_ROWS | CLIENT_MULTI_STATEMENTS);
  if (status) {
    impl->watch_socket();
    asio::steady_timer timer(impl->strand);
    timer.expires_after(timeout);
    bool timed_out = false;
    timer.async_wait([impl, &timed_out](const boost::system::error_code& ec) {
      if (ec) return;
      timed_out = true;
      boost::system::error_code ignored;
      impl->socket.cancel(ignored);
    });
    while (status) {
      const bool read = status & MYSQL_WAIT_READ;
      auto [ec] =
          co_await impl->socket.async_wait(read ? Descriptor::wait_read : Descriptor::wait_write,
                                           asio::as_tuple(asio::use_awaitable));
      co_await asio::post(impl->strand, asio::use_awaitable);
      if (ec || timed_out) {
        timer.cancel();
        throw ConnectionError("cannot connect to " + describe(info) + ": timed out");
      }
      status = mysql_real_connect_cont(&connected, m, read ? MYSQL_WAIT_READ : MYSQL_WAIT_WRITE);
    }
    timer.cancel();
  }
  if (!connected)
    throw ConnectionError("cannot connect to " + describe(info) + ": " + mysql_error(m));
  if (!impl->socket.is_open()) impl->watch_socket();
  asio::post(impl->strand, [impl] { impl->watch_idle(); });
  co_return std::shared_ptr<Connection>(new Connection(std::move(impl)));
}

Connection::~Connection() {
  asio::post(impl_->strand, [impl = impl_] {
    if (!impl->broken) impl->fail_all("connection closed");
  });
}

asio::awaitable<std::vector<Result>> Connection::execute(std::vector<Statement> statements,
                                                         std::chrono::milliseconds timeout) {
  co_return co_await await_result<std::vector<Result>>(
      [&](std::shared_ptr<std::vector<Result>> results, Completion done) {
        auto req = std::make_shared<Impl::Request>(
            Impl::Request{std::move(statements), timeout, std::move(results), std::move(done)});
        asio::post(impl_->strand, [impl = impl_, req = std::move(req)]() mutable {
          impl->submit(std::move(req));
        });
      });
}

bool Connection::broken() const {
  return impl_->broken;
}
std::size_t Connection::in_flight() const {
  return impl_->pending.load();
}

void Connection::close() {
  // At once, not posted: the executor may never run again, and a request left queued keeps the
  // coroutines awaiting it, which keep this connection (a reference cycle, a leak at exit).
  if (!impl_->broken) impl_->fail_all("connection closed");
}

}  // namespace orderflow::mysql
