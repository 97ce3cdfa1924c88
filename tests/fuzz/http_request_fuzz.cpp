// The server's request path without its socket: bytes are read as the server reads them
// (http/request_reading: Beast's parser with the server's limits and framing rules, a bounded
// buffer, keep-alive), then go through the pipeline (client identity, rate limit, UTF-8 checks,
// routing over the routes of the OpenAPI document, problem bodies) to handlers that read the
// headers, query strings and bodies the real ones read.
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/beast/http/read.hpp>

#include <cstdint>
#include <cstring>

#include "api/assets.hpp"
#include "api/common.hpp"
#include "api/request_parsing.hpp"
#include "base/json.hpp"
#include "base/log.hpp"
#include "http/pipeline.hpp"
#include "http/request_reading.hpp"

namespace asio = boost::asio;
namespace bhttp = boost::beast::http;
using namespace orderflow;

namespace {

// What the real handlers read of a request before they reach a service.
asio::awaitable<http::Response> reads_like_a_handler(http::Request& r) {
  (void)api::idempotency_key(r);
  (void)api::session_of(r);
  if (r.path.starts_with("/api/products")) (void)api::product_filter(r);
  if (r.path.starts_with("/api/orders")) (void)api::order_filter(r, std::nullopt);
  (void)api::parse_json_body(r);
  api::require_admin(r, std::optional<std::string>("token"));
  http::Response res;
  res.body = r.path;
  co_return res;
}

struct World {
  World() {
    log::set_level("off");
    // The document lists every route the server serves (tests/unit/openapi_test.cpp).
    const auto document = try_parse_json(*web::find_asset("openapi.json"));
    for (const auto& [path, operations] : document->at("paths").as_object())
      for (const auto& [method, operation] : operations.as_object()) {
        std::string verb(method);
        for (auto& c : verb) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
        router.add(verb, std::string(path), reads_like_a_handler);
      }
    http::PipelineOptions o;
    o.cors_origins = {"https://shop.example"};
    o.trusted_proxies = http::TrustedProxies::parse({"127.0.0.1", "10.0.0.0/8"});
    o.rate_limit_rps = 1e6;
    o.rate_limit_burst = 1e6;
    pipeline = std::make_unique<http::Pipeline>(router, std::move(o), &metrics);
    options.max_header_bytes = 2048;  // small limits, so that the fuzzer reaches them
    options.max_target_bytes = 512;
    options.max_body_bytes = 4096;
  }
  http::Router router;
  obs::HttpMetrics metrics;
  std::unique_ptr<http::Pipeline> pipeline;
  http::ServerOptions options;
};

// Moves input into the buffer as a socket read would: up to 512 bytes at a time, failing as
// Beast's read does when the buffer is full.
struct Wire {
  const std::uint8_t* data;
  std::size_t size, at = 0;
  boost::system::error_code fill(boost::beast::flat_buffer& buffer) {
    if (at == size) return bhttp::error::end_of_stream;
    if (buffer.size() >= buffer.max_size()) return bhttp::error::buffer_overflow;
    const auto n = std::min({std::size_t{512}, size - at, buffer.max_size() - buffer.size()});
    std::memcpy(buffer.prepare(n).data(), data + at, n);
    buffer.commit(n);
    at += n;
    return {};
  }
};

// Parses until `done(parser)` or an error, reading from the wire as the server's Beast reads
// do: the server parses what is buffered first (reading::parse_buffered), then reads on.
template <typename Done>
boost::system::error_code feed(http::reading::Parser& parser, boost::beast::flat_buffer& buffer,
                               Wire& wire, Done done) {
  for (;;) {
    if (auto ec = http::reading::parse_buffered(parser, buffer)) return ec;
    if (done(parser)) return {};
    if (auto ec = wire.fill(buffer)) {
      if (ec != bhttp::error::end_of_stream) return ec;
      boost::system::error_code eof;
      parser.put_eof(eof);
      return eof ? eof : (done(parser) ? boost::system::error_code{} : ec);
    }
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static World world;
  asio::io_context io;
  Wire wire{data, size};
  boost::beast::flat_buffer buffer(http::reading::buffer_limit(world.options));
  http::Request peer;
  peer.peer = "127.0.0.1";
  peer.peer_is_loopback = true;
  for (int request = 0; request < 8; ++request) {  // keep-alive: the next request follows
    http::reading::Parser parser;
    http::reading::set_limits(parser, world.options);
    const auto hec = feed(parser, buffer, wire, [](auto& p) { return p.is_header_done(); });
    auto verdict = http::reading::after_header(hec, parser, buffer, world.options);
    if (verdict.next == http::reading::Next::read_body) {
      const auto bec = feed(parser, buffer, wire, [](auto& p) { return p.is_done(); });
      verdict = http::reading::after_body(bec, world.options);
    }
    if (verdict.next == http::reading::Next::close) break;
    auto& msg = parser.get();
    if (verdict.next == http::reading::Next::refuse) {
      auto r = http::reading::partial_request(msg, peer);
      (void)world.pipeline->reject(r, *verdict.error);
      break;
    }
    const bool keep_alive = msg.keep_alive();
    http::Request r;
    try {
      r = http::reading::to_request(msg, peer);
    } catch (const http::ApiError& e) {
      (void)world.pipeline->reject(r, e);
      break;
    }
    http::Response response;
    asio::co_spawn(
        io, [&]() -> asio::awaitable<void> { response = co_await world.pipeline->handle(r); },
        asio::detached);
    io.restart();
    io.run();
    if (response.status >= 500) __builtin_trap();  // a request never makes the server fail
    if (!keep_alive) break;
  }
  return 0;
}
