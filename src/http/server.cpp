#include "http/server.hpp"

#include <array>

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
#include <boost/url/parse.hpp>

#include <list>
#include <mutex>

#include "obs/log.hpp"

namespace orderflow::http {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
using tcp = asio::ip::tcp;
constexpr auto use_tuple = asio::as_tuple(asio::use_awaitable);

struct Server::Impl : std::enable_shared_from_this<Impl> {
  struct Session {
    asio::strand<asio::any_io_executor> strand;
    beast::tcp_stream* stream = nullptr;
    bool idle = true;  // waiting for the next request; only touched on the strand
  };

  Impl(asio::io_context& io, ServerOptions o, RequestHandlers h)
      : io(io), options(std::move(o)), handlers(std::move(h)), acceptor(io) {}

  asio::io_context& io;
  ServerOptions options;
  RequestHandlers handlers;
  tcp::acceptor acceptor;
  std::mutex mutex;
  std::list<std::shared_ptr<Session>> sessions;
  bool draining = false;

  asio::awaitable<void> accept_loop() {
    auto self = shared_from_this();
    for (;;) {
      auto [ec, socket] = co_await acceptor.async_accept(use_tuple);
      if (ec == asio::error::operation_aborted || !acceptor.is_open()) co_return;
      if (ec) continue;
      socket.set_option(tcp::no_delay(true), ec);
      auto strand = asio::make_strand(asio::any_io_executor(io.get_executor()));
      auto session = std::make_shared<Session>(Session{strand});
      std::list<std::shared_ptr<Session>>::iterator pos;
      {
        std::lock_guard lock(mutex);
        pos = sessions.insert(sessions.end(), session);
      }
      asio::co_spawn(strand, run_session(std::move(socket), session),
                     [self, pos](std::exception_ptr ep) {
                       if (ep) {
                         try {
                           std::rethrow_exception(ep);
                         } catch (const std::exception& e) {
                           log::error("session failed", {{"error", e.what()}});
                         }
                       }
                       std::lock_guard lock(self->mutex);
                       self->sessions.erase(pos);
                     });
    }
  }

  static Request to_request(bhttp::request<bhttp::string_body>& msg, bool loopback) {
    Request r;
    r.method = std::string(msg.method_string());
    r.target = std::string(msg.target());
    for (const auto& f : msg)
      r.headers.emplace(std::string(f.name_string()), std::string(f.value()));
    r.body = std::move(msg.body());
    r.from_loopback = loopback;
    auto url = boost::urls::parse_origin_form(r.target);
    if (!url) throw validation_error("malformed request target");
    r.path = url->path();
    for (const auto& p : url->params()) r.query.emplace(p.key, p.value);
    return r;
  }

  static bhttp::response<bhttp::string_body> to_beast(Response&& r, unsigned version,
                                                      bool keep_alive) {
    bhttp::response<bhttp::string_body> res{static_cast<bhttp::status>(r.status), version};
    if (!r.body.empty() || r.status != 204) res.set(bhttp::field::content_type, r.content_type);
    for (auto& [k, v] : r.headers) res.insert(k, v);
    res.body() = std::move(r.body);
    res.keep_alive(keep_alive);
    res.prepare_payload();
    return res;
  }

  asio::awaitable<void> run_session(tcp::socket socket, std::shared_ptr<Session> session) {
    beast::tcp_stream stream(std::move(socket));
    session->stream = &stream;
    struct Detach {
      Session& s;
      ~Detach() { s.stream = nullptr; }
    } detach{*session};
    boost::system::error_code ec;
    const auto remote = stream.socket().remote_endpoint(ec);
    const bool loopback = !ec && remote.address().is_loopback();
    beast::flat_buffer buffer;
    bool first = true;
    for (;;) {
      bhttp::request_parser<bhttp::string_body> parser;
      parser.header_limit(16 * 1024);
      parser.body_limit(options.max_body_bytes);
      session->idle = true;
      {
        std::lock_guard lock(mutex);
        if (draining) co_return;
      }
      stream.expires_after(first ? options.header_timeout : options.idle_timeout);
      first = false;
      auto [hec, hn] = co_await bhttp::async_read_header(stream, buffer, parser, use_tuple);
      session->idle = false;
      // Beast refuses a declared Content-Length above the limit while reading the header.
      bool too_large = hec == bhttp::error::body_limit;
      if (hec && !too_large) {
        if (hec == bhttp::error::end_of_stream || hec == beast::error::timeout ||
            hec == asio::error::operation_aborted || hec == asio::error::connection_reset ||
            hec == asio::error::eof)
          co_return;
        Request bad;
        bad.from_loopback = loopback;
        co_await write(stream, handlers.reject(bad, validation_error("malformed HTTP request")), 11,
                       false);
        co_return;
      }
      const auto version = parser.get().version();
      // Refuse an oversized body from its declared length, before reading any of it.
      if (!too_large) {
        const auto declared = parser.content_length();
        too_large = declared && *declared > options.max_body_bytes;
      }
      if (!too_large && !parser.is_done()) {
        stream.expires_after(options.body_timeout);
        auto [bec, bn] = co_await bhttp::async_read(stream, buffer, parser, use_tuple);
        if (bec == bhttp::error::body_limit) {
          too_large = true;
        } else if (bec) {
          co_return;
        }
      }
      auto& msg = parser.get();
      if (too_large) {
        Request r;
        r.from_loopback = loopback;
        for (const auto& f : msg)
          r.headers.emplace(std::string(f.name_string()), std::string(f.value()));
        r.method = std::string(msg.method_string());
        r.target = std::string(msg.target());
        co_await write(
            stream,
            handlers.reject(r, ApiError(413, "payload_too_large",
                                        "request body exceeds " +
                                            std::to_string(options.max_body_bytes) + " bytes")),
            version, false);
        co_await discard_unread(stream);
        co_return;
      }
      const bool keep_alive = msg.keep_alive();
      Response response;
      Request request;
      try {
        request = to_request(msg, loopback);
        response = co_await handlers.handle(request);
      } catch (const ApiError& e) {
        response = handlers.reject(request, e);
      }
      bool keep;
      {
        std::lock_guard lock(mutex);
        keep = keep_alive && !draining;
      }
      if (!co_await write(stream, std::move(response), version, keep) || !keep) co_return;
    }
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

  asio::awaitable<bool> write(beast::tcp_stream& stream, Response r, unsigned version, bool keep) {
    stream.expires_after(options.body_timeout);
    auto res = to_beast(std::move(r), version, keep);
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
