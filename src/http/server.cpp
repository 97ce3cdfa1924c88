#include "http/server.hpp"

#include <array>
#include <atomic>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http.hpp>

#include <list>
#include <mutex>
#include <optional>
#include <utility>

#include "base/log.hpp"
#include "http/request_reading.hpp"

namespace orderflow::http {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
using tcp = asio::ip::tcp;
constexpr auto use_tuple = asio::as_tuple(asio::use_awaitable);

struct Server::Impl : std::enable_shared_from_this<Impl> {
  struct Session {
    explicit Session(asio::strand<asio::any_io_executor> s) : strand(std::move(s)) {}
    asio::strand<asio::any_io_executor> strand;
    beast::tcp_stream* stream = nullptr;  // only touched on the strand
    std::atomic<bool> idle{true};         // waiting for a request's first byte
    std::atomic<bool> evicted{false};     // closed to make room for a new connection
  };

  Impl(asio::io_context& io, ServerOptions o, RequestHandlers h)
      : io(io), options(std::move(o)), handlers(std::move(h)), acceptor(io) {}

  asio::io_context& io;
  ServerOptions options;
  RequestHandlers handlers;
  tcp::acceptor acceptor;
  std::mutex mutex;
  std::list<std::shared_ptr<Session>> sessions;  // oldest first
  std::size_t evictions = 0;                     // sessions evicted and not yet ended
  bool draining = false;

  // At the cap, the oldest connection waiting for a request makes room, as nginx reuses idle
  // keep-alive connections: idle connections cannot lock out new clients. Under `mutex`.
  bool evict_idle() {
    for (auto& s : sessions) {
      if (!s->idle || s->evicted.exchange(true)) continue;
      ++evictions;
      asio::post(s->strand, [self = shared_from_this(), s] {
        if (s->stream && s->idle) {
          s->stream->socket().close();
          return;
        }
        // A request began meanwhile (it is served, and its connection counts again), or the
        // session ended (and its end settled the count).
        std::lock_guard lock(self->mutex);
        if (s->evicted.exchange(false)) --self->evictions;
      });
      return true;
    }
    return false;
  }

  asio::awaitable<void> accept_loop() {
    auto self = shared_from_this();
    // Logged once per episode, so that a flood cannot fill the log.
    bool out_of_descriptors = false, at_cap = false;
    asio::steady_timer pause(io);
    for (;;) {
      auto [ec, socket] = co_await acceptor.async_accept(use_tuple);
      if (ec == asio::error::operation_aborted || !acceptor.is_open()) co_return;
      if (ec == asio::error::no_descriptors ||
          ec == boost::system::errc::too_many_files_open_in_system) {
        // The connection stays in the backlog; accepting again at once would spin.
        if (!std::exchange(out_of_descriptors, true))
          log::warn("out of file descriptors: accepting paused",
                    {{"error", ec.message()}, {"max_connections", options.max_connections}});
        pause.expires_after(std::chrono::milliseconds(100));
        co_await pause.async_wait(use_tuple);
        continue;
      }
      if (ec) continue;
      out_of_descriptors = false;
      std::unique_lock lock(mutex);
      if (sessions.size() - evictions >= options.max_connections && !evict_idle()) {
        lock.unlock();
        if (!std::exchange(at_cap, true))
          log::warn("connection cap reached: new connections are closed",
                    {{"max_connections", options.max_connections}});
        socket.close(ec);
        continue;
      }
      at_cap = false;
      socket.set_option(tcp::no_delay(true), ec);
      auto session =
          std::make_shared<Session>(asio::make_strand(asio::any_io_executor(io.get_executor())));
      const auto pos = sessions.insert(sessions.end(), session);
      lock.unlock();
      asio::co_spawn(session->strand, run_session(std::move(socket), session),
                     [self, pos](std::exception_ptr ep) {
                       if (ep) {
                         try {
                           std::rethrow_exception(ep);
                         } catch (const std::exception& e) {
                           log::error("session failed", {{"error", e.what()}});
                         }
                       }
                       std::lock_guard lock(self->mutex);
                       if ((*pos)->evicted.exchange(false)) --self->evictions;
                       self->sessions.erase(pos);
                     });
    }
  }

  static bhttp::response<bhttp::string_body> to_beast(Response&& r, unsigned version,
                                                      bool keep_alive, bool head) {
    bhttp::response<bhttp::string_body> res{static_cast<bhttp::status>(r.status), version};
    if (!r.body.empty() || r.status != 204) res.set(bhttp::field::content_type, r.content_type);
    for (auto& [k, v] : r.headers) res.insert(k, v);
    res.body() = std::move(r.body);
    res.keep_alive(keep_alive);
    res.prepare_payload();
    // HEAD: the GET answer's fields, Content-Length included, without its body.
    if (head) res.body().clear();
    return res;
  }

  asio::awaitable<void> run_session(tcp::socket socket, std::shared_ptr<Session> session) {
    beast::tcp_stream stream(std::move(socket));
    session->stream = &stream;
    struct Detach {
      Session& s;
      ~Detach() { s.stream = nullptr; }
    } detach{*session};
    Request peer;
    {
      boost::system::error_code ec;
      auto address = stream.socket().remote_endpoint(ec).address();
      if (address.is_v6() && address.to_v6().is_v4_mapped())
        address = asio::ip::make_address_v4(asio::ip::v4_mapped, address.to_v6());
      peer.peer = ec ? std::string() : address.to_string();
      peer.peer_is_loopback = !ec && address.is_loopback();
    }
    // Holds what has arrived and is not parsed yet: a header being read, a chunk's size line,
    // pipelined requests. Bounded, so that no line can grow it without end.
    beast::flat_buffer buffer(reading::buffer_limit(options));
    bool first = true;
    for (;;) {
      reading::Parser parser;
      reading::set_limits(parser, options);
      session->idle = true;
      {
        std::lock_guard lock(mutex);
        if (draining) co_return;
      }
      if (buffer.size() == 0) {
        stream.expires_after(first ? options.header_timeout : options.idle_timeout);
        auto [ec, n] = co_await stream.async_read_some(buffer.prepare(4096), use_tuple);
        if (ec) co_return;
        buffer.commit(n);
      }
      first = false;
      session->idle = false;
      auto ec = reading::parse_buffered(parser, buffer);
      if (!ec && !parser.is_header_done()) {
        stream.expires_after(options.header_timeout);
        auto [hec, hn] = co_await bhttp::async_read_header(stream, buffer, parser, use_tuple);
        ec = hec;
      }
      auto verdict = reading::after_header(ec, parser, buffer, options);
      if (verdict.next == reading::Next::read_body) {
        stream.expires_after(options.body_timeout);
        auto [bec, bn] = co_await bhttp::async_read(stream, buffer, parser, use_tuple);
        verdict = reading::after_body(bec, options);
      }
      if (verdict.next == reading::Next::close) co_return;
      auto& msg = parser.get();
      if (verdict.next == reading::Next::refuse) {
        auto request = reading::partial_request(msg, peer);
        auto answer = handlers.reject(request, *verdict.error);
        co_await refuse(stream, std::move(answer), msg.version());
        co_return;
      }
      const bool keep_alive = msg.keep_alive();
      const bool head = msg.method() == bhttp::verb::head;
      Response response;
      Request request;
      try {
        request = reading::to_request(msg, peer);
        response = co_await handlers.handle(request);
      } catch (const ApiError& e) {
        response = handlers.reject(request, e);
      }
      bool keep;
      {
        std::lock_guard lock(mutex);
        keep = keep_alive && !draining;
      }
      if (!co_await write(stream, std::move(response), msg.version(), keep, head) || !keep)
        co_return;
    }
  }

  // Answers a request that is not read whole, then closes: where the next one would start
  // is unknown.
  // The answer is made by the caller: GCC 12 mishandles temporaries in co_await operands.
  asio::awaitable<void> refuse(beast::tcp_stream& stream, Response answer, unsigned version) {
    const bool written = co_await write(stream, std::move(answer), version, false, false);
    if (written) co_await discard_unread(stream);
  }

  // Reads and drops what the client is still sending (up to a limit, for a short time) before
  // the connection closes: closing with unread data resets it, and the client, still sending
  // its body, would lose the answer (nginx and Apache call this a lingering close).
  asio::awaitable<void> discard_unread(beast::tcp_stream& stream) {
    stream.expires_after(std::chrono::seconds(2));
    std::array<char, 16384> chunk;
    for (std::size_t total = 0; total < 16 * 1024 * 1024;) {
      auto [ec, n] = co_await stream.async_read_some(asio::buffer(chunk), use_tuple);
      if (ec) break;
      total += n;
    }
  }

  asio::awaitable<bool> write(beast::tcp_stream& stream, Response r, unsigned version, bool keep,
                              bool head) {
    stream.expires_after(options.body_timeout);
    auto res = to_beast(std::move(r), version, keep, head);
    auto [ec, n] = co_await bhttp::async_write(stream, res, use_tuple);
    if (ec) co_return false;
    if (!keep) {
      boost::system::error_code ignored;
      stream.socket().shutdown(tcp::socket::shutdown_send, ignored);
    }
    co_return true;
  }
};

Server::Server(asio::io_context& io, ServerOptions options, RequestHandlers handlers)
    : impl_(std::make_shared<Impl>(io, std::move(options), std::move(handlers))) {}

Server::~Server() = default;

std::uint16_t Server::start() {
  auto& a = impl_->acceptor;
  const tcp::endpoint ep{asio::ip::make_address(impl_->options.host), impl_->options.port};
  a.open(ep.protocol());
  a.set_option(asio::socket_base::reuse_address(true));
  a.bind(ep);
  a.listen(asio::socket_base::max_listen_connections);
  asio::co_spawn(a.get_executor(), impl_->accept_loop(), asio::detached);
  return a.local_endpoint().port();
}

asio::awaitable<void> Server::drain(std::chrono::milliseconds grace) {
  auto impl = impl_;
  co_await asio::post(impl->acceptor.get_executor(), asio::use_awaitable);
  boost::system::error_code ec;
  impl->acceptor.close(ec);
  const auto close_sessions = [impl](bool idle_only) {
    std::lock_guard lock(impl->mutex);
    impl->draining = true;
    for (auto& s : impl->sessions)
      asio::post(s->strand, [s, idle_only] {
        if (s->stream && (s->idle || !idle_only)) s->stream->socket().close();
      });
  };
  close_sessions(true);
  asio::steady_timer timer(impl->acceptor.get_executor());
  const auto deadline = std::chrono::steady_clock::now() + grace;
  for (;;) {
    {
      std::lock_guard lock(impl->mutex);
      if (impl->sessions.empty()) co_return;
    }
    if (std::chrono::steady_clock::now() >= deadline) break;
    timer.expires_after(std::chrono::milliseconds(20));
    co_await timer.async_wait(asio::use_awaitable);
    close_sessions(true);  // sessions that finished a request since are idle now
  }
  close_sessions(false);
}

}  // namespace orderflow::http
