// Request headers the API reads: Idempotency-Key, X-Session-ID and the session cookie,
// Authorization, X-Forwarded-For behind trusted proxies, X-Request-ID. Lines of the input are
// the header values.
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>

#include <cstdint>
#include <string_view>

#include "api/common.hpp"
#include "api/request_parsing.hpp"
#include "base/ids.hpp"
#include "base/log.hpp"
#include "base/utf8.hpp"
#include "http/client_address.hpp"
#include "http/pipeline.hpp"

using namespace orderflow;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static const auto proxies = http::TrustedProxies::parse({"127.0.0.1", "10.0.0.0/8", "fd00::/8"});
  static const char* const names[] = {"Idempotency-Key", "X-Session-ID",    "Cookie",
                                      "Authorization",   "X-Forwarded-For", "X-Request-ID"};
  std::string_view input(reinterpret_cast<const char*>(data), size);
  http::Request r;
  r.peer = "127.0.0.1";
  r.peer_is_loopback = true;
  for (const char* name : names) {
    const auto end = input.find('\n');
    r.headers.emplace(name, std::string(input.substr(0, end)));
    if (end == std::string_view::npos) break;
    input.remove_prefix(end + 1);
  }
  http::identify_client(r, proxies);
  if (r.client.size() > 64) __builtin_trap();  // an address, or the peer: never the header's text
  try {
    if (const auto key = api::idempotency_key(r); key && !is_clean_text(*key)) __builtin_trap();
  } catch (const core::Error&) {
  }
  try {
    const auto session = api::session_of(r);
    if (!is_valid_client_id(session.id)) __builtin_trap();
  } catch (const core::Error&) {
  }
  try {
    api::require_admin(r, std::optional<std::string>("s3cret"));
  } catch (const http::ApiError& e) {
    if (e.status() != 401) __builtin_trap();
  }
  // X-Request-ID: echoed only when it is 1-128 visible ASCII characters.
  static http::Router router;
  static http::Pipeline pipeline(router, {});
  log::set_level("off");
  auto rejected = pipeline.reject(r, http::ApiError(404, "not_found", "x"));
  for (const auto& [k, v] : rejected.headers)
    if (k == "X-Request-ID" && (v.empty() || v.size() > 128 || !is_valid_utf8(v))) __builtin_trap();
  return 0;
}
