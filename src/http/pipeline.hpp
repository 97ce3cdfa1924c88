#pragma once
#include <boost/asio/awaitable.hpp>

#include <memory>
#include <string>
#include <vector>

#include "base/metrics.hpp"
#include "http/client_address.hpp"
#include "http/message.hpp"
#include "http/problem.hpp"
#include "http/rate_limiter.hpp"
#include "http/router.hpp"

namespace orderflow::http {

struct PipelineOptions {
  std::vector<std::string> cors_origins;  // "*" allows any origin
  TrustedProxies trusted_proxies;
  // Requests per second and burst per client; 0: no limit.
  double rate_limit_rps = 0, rate_limit_burst = 0;
};

// What every request passes through around its handler: request id, the client's identity,
// the rate limit (429), UTF-8 of path and query (400), routing (404/405, HEAD as GET), the JSON
// content-type rule (415), CORS, error mapping to problem+json, the access log and the request
// metrics.
class Pipeline {
 public:
  Pipeline(const Router& router, PipelineOptions options, obs::HttpMetrics* metrics = nullptr);

  boost::asio::awaitable<Response> handle(Request& request);
  Response reject(Request& request, const ApiError& error);

 private:
  void assign_request_id(Request& request) const;
  void finish(const Request& request, Response& response, std::string_view route,
              std::chrono::steady_clock::time_point started) const;

  void check_rate_limit(const Request& request);

  const Router& router_;
  PipelineOptions options_;
  obs::HttpMetrics* metrics_;
  std::unique_ptr<RateLimiter> rate_limiter_;
};

}  // namespace orderflow::http
