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

// HTTP/1.1 over Boost.Beast with C++20 coroutines: keep-alive, timeouts, body limit, drain.
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
