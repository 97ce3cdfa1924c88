#include "drivers/pg/connection.hpp"

#include <libpq-fe.h>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/bind_executor.hpp>
#include <boost/asio/ip/address.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <atomic>
#include <deque>
#include <functional>
#include <unordered_set>

#include "base/async.hpp"
#include "drivers/pg/conninfo.hpp"

namespace orderflow::pg {

namespace asio = boost::asio;
using Clock = std::chrono::steady_clock;

namespace {

std::string statement_name(const std::string& sql) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "of_%016zx", std::hash<std::string>{}(sql));
  return buf;
}

}  // namespace

struct Connection::Impl : std::enable_shared_from_this<Impl> {
  struct Op {
    bool is_prepare = false;
    std::string name;  // for prepares
    bool ok = false;
  };
  struct Request {
    std::vector<Op> ops;
    std::size_t op_index = 0;
    std::shared_ptr<std::vector<Result>> results;              // await_result's holder
    std::optional<std::pair<std::string, std::string>> error;  // sqlstate, message
    std::exception_ptr failure;
    Completion done;
    std::unique_ptr<asio::steady_timer> timer;
  };

  Impl(asio::any_io_executor ex, PGconn* c)
      : strand(asio::make_strand(ex)), socket(strand), conn(c) {}
  ~Impl() { shutdown(); }

  asio::strand<asio::any_io_executor> strand;
  asio::posix::stream_descriptor socket;
  PGconn* conn;
  std::deque<std::shared_ptr<Request>> inflight;
  std::unordered_set<std::string> prepared;
  std::atomic<bool> broken{false};
  std::atomic<std::size_t> pending{0};  // requests submitted and not finished, for load balancing
  bool reading = false, writing = false;
  std::function<void(std::string)> notification_handler;

  void shutdown() {
    if (socket.is_open()) socket.release();  // libpq owns the descriptor
    if (conn) PQfinish(conn);
    conn = nullptr;
  }

  void fail_all(const std::string& why) {
    broken = true;
    auto failed = std::move(inflight);
    inflight.clear();
    boost::system::error_code ignored;
    if (socket.is_open()) socket.cancel(ignored);
    shutdown();
    for (auto& r : failed) {
      if (r->timer) r->timer->cancel();
      --pending;
      r->done(std::make_exception_ptr(ConnectionError(why)));
    }
  }

  void submit(std::shared_ptr<Request> req, std::vector<Statement> statements,
              std::chrono::milliseconds timeout) {
    if (broken || !conn) {
      req->done(std::make_exception_ptr(ConnectionError("connection is closed")));
      return;
    }
    for (auto& s : statements) {
      std::vector<const char*> values;
      for (const auto& p : s.params) values.push_back(p ? p->c_str() : nullptr);
      const int n = static_cast<int>(values.size());
      int sent;
      if (s.prepare) {
        const auto name = statement_name(s.sql);
        if (!prepared.count(name)) {
          if (!PQsendPrepare(conn, name.c_str(), s.sql.c_str(), n, nullptr)) {
            req->done(std::make_exception_ptr(ConnectionError(PQerrorMessage(conn))));
            return fail_all(PQerrorMessage(conn));
          }
          prepared.insert(name);
          req->ops.push_back({true, name, false});
        }
        sent = PQsendQueryPrepared(conn, name.c_str(), n, values.data(), nullptr, nullptr, 0);
      } else {
        sent =
            PQsendQueryParams(conn, s.sql.c_str(), n, nullptr, values.data(), nullptr, nullptr, 0);
      }
      if (!sent) {
        req->done(std::make_exception_ptr(ConnectionError(PQerrorMessage(conn))));
        return fail_all(PQerrorMessage(conn));
      }
      req->ops.push_back({false, {}, false});
    }
    if (!PQpipelineSync(conn)) {
      req->done(std::make_exception_ptr(ConnectionError(PQerrorMessage(conn))));
      return fail_all(PQerrorMessage(conn));
    }
    req->timer = std::make_unique<asio::steady_timer>(strand, timeout);
    req->timer->async_wait([self = shared_from_this(), weak = std::weak_ptr<Request>(req)](
                               const boost::system::error_code& ec) {
      // A statement that does not answer in time leaves the connection in an unknown state:
      // drop the connection, and with it everything in flight on it.
      if (ec) return;
      auto r = weak.lock();
      if (r && !self->broken) self->fail_all("query timed out");
    });
    ++pending;
    inflight.push_back(std::move(req));
    flush();
    read();
  }

  void flush() {
    if (!conn || writing) return;
    const int r = PQflush(conn);
    if (r < 0) return fail_all(PQerrorMessage(conn));
    if (r == 1)
      when_ready(asio::posix::stream_descriptor::wait_write, &Impl::writing, &Impl::flush);
  }

  // Always reading, also while idle: a connection the server closes (a restart, a terminated
  // backend) is noticed at once and replaced by the pool, rather than failing the next request.
  void read() {
    if (!conn || reading) return;
    when_ready(asio::posix::stream_descriptor::wait_read, &Impl::reading, &Impl::on_readable);
  }

  // Waits until the socket is ready for `what`, with `busy` set meanwhile, then calls `next`
  // (unless the wait was cancelled: the connection is closing).
  void when_ready(asio::posix::stream_descriptor::wait_type what, bool Impl::*busy,
                  void (Impl::*next)()) {
    this->*busy = true;
    socket.async_wait(what,
                      [self = shared_from_this(), busy, next](const boost::system::error_code& ec) {
                        self.get()->*busy = false;
                        if (!ec) (self.get()->*next)();
                      });
  }

  void on_readable() {
    if (!conn) return;
    if (!PQconsumeInput(conn)) return fail_all(PQerrorMessage(conn));
    collect();
    while (PGnotify* n = conn ? PQnotifies(conn) : nullptr) {
      std::string channel = n->relname;
      PQfreemem(n);
      if (notification_handler) notification_handler(std::move(channel));
    }
    if (conn) {
      flush();  // the server may have been waiting for us to read before taking more
      read();
    }
  }

  void collect() {
    while (conn && !inflight.empty() && !PQisBusy(conn)) {
      PGresult* r = PQgetResult(conn);
      auto& req = *inflight.front();
      if (!r) {  // the end of one statement's results
        if (req.op_index >= req.ops.size()) return;
        ++req.op_index;
        continue;
      }
      const auto status = PQresultStatus(r);
      if (status == PGRES_PIPELINE_SYNC) {
        PQclear(r);
        finish(inflight.front());
        inflight.pop_front();
        continue;
      }
      if (req.op_index < req.ops.size()) {
        auto& op = req.ops[req.op_index];
        if (status == PGRES_TUPLES_OK || status == PGRES_COMMAND_OK) {
          op.ok = true;
          if (!op.is_prepare) req.results->push_back(copy_result(r));
        } else if (status != PGRES_PIPELINE_ABORTED && !req.error) {
          const char* state = PQresultErrorField(r, PG_DIAG_SQLSTATE);
          req.error.emplace(state ? state : "", PQresultErrorMessage(r));
        }
      }
      PQclear(r);
    }
  }

  void finish(const std::shared_ptr<Request>& req) {
    if (req->timer) req->timer->cancel();
    --pending;
    if (req->error) {
      // Statements whose prepare did not go through must be prepared again next time.
      for (const auto& op : req->ops)
        if (op.is_prepare && !op.ok) prepared.erase(op.name);
      req->done(std::make_exception_ptr(QueryError(req->error->first, req->error->second)));
    } else {
      req->done(nullptr);
    }
  }
};

asio::awaitable<std::shared_ptr<Connection>> Connection::connect(
    asio::any_io_executor executor, std::string conninfo, std::chrono::milliseconds timeout) {
  const auto params = co_await with_host_addresses(executor, parse_conninfo(conninfo));
  std::vector<const char*> keywords, values;
  for (std::size_t i = 0; i < params.keywords.size(); ++i) {
    keywords.push_back(params.keywords[i].c_str());
    values.push_back(params.values[i].c_str());
  }
  keywords.push_back(nullptr);
  values.push_back(nullptr);
  PGconn* c = PQconnectStartParams(keywords.data(), values.data(), 0);
  if (!c) throw ConnectionError("out of memory");
  if (PQstatus(c) == CONNECTION_BAD) {
    std::string msg = PQerrorMessage(c);
    PQfinish(c);
    throw ConnectionError("cannot connect: " + msg);
  }
  auto impl = std::make_shared<Impl>(executor, c);
  const auto deadline = Clock::now() + timeout;
  asio::steady_timer timer(impl->strand);
  for (auto poll = PGRES_POLLING_WRITING; poll != PGRES_POLLING_OK;) {
    if (poll == PGRES_POLLING_FAILED)
      throw ConnectionError(std::string("cannot connect: ") + PQerrorMessage(c));
    if (Clock::now() >= deadline) throw ConnectionError("cannot connect: timed out");
    // libpq may switch sockets while connecting (several hosts): wrap the current one each time.
    auto sock = std::make_shared<asio::posix::stream_descriptor>(impl->strand, PQsocket(c));
    timer.expires_at(deadline);
    timer.async_wait([sock](const boost::system::error_code& ec) {
      if (!ec && sock->is_open()) sock->cancel();
    });
    auto [ec] = co_await sock->async_wait(poll == PGRES_POLLING_READING
                                              ? asio::posix::stream_descriptor::wait_read
                                              : asio::posix::stream_descriptor::wait_write,
                                          asio::as_tuple(asio::use_awaitable));
    timer.cancel();
    // Back on the strand before touching the descriptor the timer handler may also touch.
    co_await asio::post(impl->strand, asio::use_awaitable);
    sock->release();
    if (ec) throw ConnectionError("cannot connect: timed out");
    poll = PQconnectPoll(c);
  }
  // Notices ("relation already exists, skipping") are not errors; keep them off stderr.
  PQsetNoticeProcessor(
      c, [](void*, const char*) {}, nullptr);
  if (PQsetnonblocking(c, 1) != 0 || !PQenterPipelineMode(c))
    throw ConnectionError(std::string("cannot set up the connection: ") + PQerrorMessage(c));
  impl->socket.assign(PQsocket(c));
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
        auto req = std::make_shared<Impl::Request>();
        req->results = std::move(results);
        req->done = std::move(done);
        asio::post(impl_->strand,
                   [impl = impl_, req, statements = std::move(statements), timeout]() mutable {
                     impl->submit(std::move(req), std::move(statements), timeout);
                   });
      });
}

void Connection::on_notification(std::function<void(std::string)> handler) {
  asio::post(impl_->strand, [impl = impl_, handler = std::move(handler)]() mutable {
    impl->notification_handler = std::move(handler);
    impl->read();
  });
}

bool Connection::broken() const {
  return impl_->broken;
}
std::size_t Connection::in_flight() const {
  return impl_->pending.load();
}

void Connection::close() {
  // At once, not posted: the executor may never run again, and a request left in flight keeps
  // the coroutines awaiting it, which keep this connection (a reference cycle, a leak at exit).
  if (!impl_->broken) impl_->fail_all("connection closed");
}

}  // namespace orderflow::pg
