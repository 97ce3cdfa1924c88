#pragma once
#include <boost/asio/awaitable.hpp>

#include <string>
#include <vector>

#include "http/message.hpp"
#include "http/problem.hpp"
#include "http/router.hpp"
#include "obs/metrics.hpp"

namespace orderflow::http {

struct PipelineOptions {
  std::vector<std::string> cors_origins;  // "*" allows any origin
};

// What every request passes through around its handler: request id, routing (404/405),
// the JSON content-type rule (415), CORS, error mapping to problem+json, the access log and
// the request metrics.
class Pipeline {
 public:
  Pipeline(const Router& router, PipelineOptions options, obs::HttpMetrics* metrics = nullptr)
      : router_(router), options_(std::move(options)), metrics_(metrics) {}

  boost::asio::awaitable<Response> handle(Request& request);
  Response reject(Request& request, const ApiError& error);

 private:
  void assign_request_id(Request& request) const;
  void finish(const Request& request, Response& response, std::string_view route,
              std::chrono::steady_clock::time_point started) const;

  const Router& router_;
  PipelineOptions options_;
  obs::HttpMetrics* metrics_;
};

}  // namespace orderflow::http
