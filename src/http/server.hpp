#pragma once
#include <boost/asio/awaitable.hpp>

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "http/message.hpp"
#include "http/problem.hpp"

namespace boost::asio {
class io_context;
}

namespace orderflow::http {

struct ServerOptions {
  std::string host = "127.0.0.1";
  std::uint16_t port = 3000;
  std::size_t max_body_bytes = 1024 * 1024;
  // The request line and header fields together (431 beyond), and the request target (414).
  std::size_t max_header_bytes = 16 * 1024;
  std::size_t max_target_bytes = 8 * 1024;
  // Connections served at once; one more is accepted and closed at once.
  std::size_t max_connections = 10'000;
  // Each request's line and headers must arrive within header_timeout of its first byte; the
  // wait for that first byte is idle_timeout (header_timeout on a new connection).
  std::chrono::milliseconds header_timeout{10'000};
  std::chrono::milliseconds body_timeout{30'000};
  std::chrono::milliseconds idle_timeout{60'000};
};

// Answers one parsed request. `reject` answers requests that never reach routing (oversized
// body, malformed target) so that they too carry a request id and a problem+json body.
struct RequestHandlers {
  std::function<boost::asio::awaitable<Response>(Request&)> handle;
  std::function<Response(Request&, const ApiError&)> reject;
};

// HTTP/1.1 over Boost.Beast with C++20 coroutines: keep-alive, timeouts, a bound on every
// buffer, a connection cap, HEAD, drain. Requests whose framing is wrong (RFC 9112: no or two
// Host fields, a transfer coding other than chunked, a malformed chunk) are answered 400 and
// the connection is closed, since where the next request starts is unknown.
class Server {
 public:
  Server(boost::asio::io_context& io, ServerOptions options, RequestHandlers handlers);
  ~Server();

  // Binds and starts accepting; returns the bound port (useful with port 0).
  std::uint16_t start();
  // Stops accepting, closes idle keep-alive connections, lets requests in progress finish,
  // and closes what is left after `grace`.
  boost::asio::awaitable<void> drain(std::chrono::milliseconds grace);

 private:
  struct Impl;
  std::shared_ptr<Impl> impl_;
};

}  // namespace orderflow::http
