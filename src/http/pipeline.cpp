#include "http/pipeline.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>

#include "base/ids.hpp"
#include "base/log.hpp"
#include "base/utf8.hpp"
#include "core/errors.hpp"

namespace orderflow::http {

namespace {
bool valid_request_id(std::string_view id) {
  if (id.empty() || id.size() > 128) return false;
  for (char c : id)
    if (c < 0x21 || c > 0x7e) return false;
  return true;
}

bool is_json_content_type(std::string_view ct) {
  const auto semi = ct.find(';');
  auto type = ct.substr(0, semi);
  while (!type.empty() && type.back() == ' ') type.remove_suffix(1);
  if (type.size() != 16) return false;
  return CaseInsensitiveLess{}(type, "application/json") == false &&
         CaseInsensitiveLess{}("application/json", type) == false;
}

std::string join(const std::vector<std::string>& v, std::string_view sep) {
  std::string out;
  for (const auto& s : v) {
    if (!out.empty()) out += sep;
    out += s;
  }
  return out;
}
}  // namespace

Pipeline::Pipeline(const Router& router, PipelineOptions options, obs::HttpMetrics* metrics)
    : router_(router), options_(std::move(options)), metrics_(metrics) {
  if (options_.rate_limit_rps > 0)
    rate_limiter_ =
        std::make_unique<RateLimiter>(options_.rate_limit_rps, options_.rate_limit_burst);
}

// Liveness and readiness probes are never limited: a limited probe would take the process out
// of its load balancer.
void Pipeline::check_rate_limit(const Request& request) {
  if (!rate_limiter_ || request.path == "/health" || request.path == "/ready") return;
  if (const auto wait = rate_limiter_->acquire(request.client)) {
    const auto seconds = std::max<std::int64_t>(1, (wait->count() + 999) / 1000);
    throw ApiError(429, "rate_limited", "too many requests from this client; retry later")
        .with_header("Retry-After", std::to_string(seconds));
  }
}

void Pipeline::assign_request_id(Request& request) const {
  if (!request.request_id.empty()) return;
  const auto given = request.header("X-Request-ID");
  request.request_id = given && valid_request_id(*given) ? std::string(*given) : uuid_v7();
}

boost::asio::awaitable<Response> Pipeline::handle(Request& request) {
  const auto started = std::chrono::steady_clock::now();
  assign_request_id(request);
  Response response;
  std::string route;
  std::optional<ApiError> error;
  try {
    identify_client(request, options_.trusted_proxies);
    check_rate_limit(request);
    if (!is_clean_text(request.path))
      throw core::validation_failed(
          "the request path is not valid UTF-8 or holds NUL",
          {{"path", "must be UTF-8 text without NUL once percent-decoded"}});
    for (const auto& [key, value] : request.query)
      if (!is_clean_text(key) || !is_clean_text(value))
        throw core::validation_failed(
            "a query parameter is not valid UTF-8 or holds NUL",
            {{"query", "must be UTF-8 text without NUL once percent-decoded"}});
    // HEAD is GET without the body (the server drops it).
    auto match = router_.match(request.method == "HEAD" ? "GET" : request.method, request.path);
    if (std::find(match.allowed.begin(), match.allowed.end(), "GET") != match.allowed.end())
      match.allowed.push_back("HEAD");
    if (request.method == "OPTIONS" && (match.handler || !match.allowed.empty())) {
      // CORS preflight: answered for any routed path.
      response.status = 204;
      response.content_type.clear();
      match.allowed.push_back("OPTIONS");
      response.set("Allow", join(match.allowed, ", "));
      response.set("Access-Control-Allow-Methods", join(match.allowed, ", "));
      response.set("Access-Control-Allow-Headers",
                   "Content-Type, Authorization, Idempotency-Key, X-Request-ID, X-Session-ID");
      response.set("Access-Control-Max-Age", "600");
    } else if (!match.handler) {
      if (match.allowed.empty()) throw core::not_found("no route for " + request.path);
      throw ApiError(405, "method_not_allowed", request.method + " is not allowed here")
          .with_header("Allow", join(match.allowed, ", "));
    } else {
      route = match.pattern;
      if (!request.body.empty()) {
        const auto ct = request.header("Content-Type");
        if (!ct || !is_json_content_type(*ct))
          throw ApiError(415, "unsupported_media_type",
                         "a request body must be sent as Content-Type: application/json");
      }
      request.params = std::move(match.params);
      response = co_await (*match.handler)(request);
    }
  } catch (const ApiError& e) {
    error = e;
  } catch (const core::DependencyUnavailable& e) {
    log::warn(
        "dependency unavailable",
        {{"request_id", request.request_id}, {"dependency", e.dependency()}, {"error", e.what()}});
    error = http_error(core::Error(core::ErrorKind::unavailable,
                                   "the " + e.dependency() + " is unavailable; try again shortly"));
  } catch (const core::Error& e) {
    error = http_error(e);
  } catch (const std::exception& e) {
    log::error("unhandled error",
               {{"request_id", request.request_id}, {"path", request.path}, {"error", e.what()}});
    error = ApiError(500, "internal", "the server failed to handle this request");
  }
  if (error) response = problem_response(*error, request.request_id);
  finish(request, response, route, started);
  co_return response;
}

Response Pipeline::reject(Request& request, const ApiError& error) {
  const auto started = std::chrono::steady_clock::now();
  assign_request_id(request);
  auto response = problem_response(error, request.request_id);
  finish(request, response, "", started);
  return response;
}

void Pipeline::finish(const Request& request, Response& response, std::string_view route,
                      std::chrono::steady_clock::time_point started) const {
  response.set("X-Request-ID", request.request_id);
  // No browser may guess a type other than the one declared (a JSON body read as HTML).
  response.set("X-Content-Type-Options", "nosniff");
  if (auto origin = request.header("Origin"); origin && !options_.cors_origins.empty()) {
    const bool any = std::find(options_.cors_origins.begin(), options_.cors_origins.end(), "*") !=
                     options_.cors_origins.end();
    const bool listed = std::find(options_.cors_origins.begin(), options_.cors_origins.end(),
                                  *origin) != options_.cors_origins.end();
    if (any || listed) {
      response.set("Access-Control-Allow-Origin", any ? "*" : std::string(*origin));
      if (!any) response.set("Vary", "Origin");
      response.set("Access-Control-Expose-Headers",
                   "X-Request-ID, Location, ETag, Idempotent-Replayed, X-Session-ID, Retry-After");
    }
  }
  const double ms =
      std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - started).count();
  if (metrics_) metrics_->record(request.method, route, response.status, ms / 1000);
  if (log::enabled(log::Level::info)) {
    log::info("request", {{"method", request.method},
                          {"path", request.path},  // made valid UTF-8 by the log's writer
                          {"route", route},
                          {"status", response.status},
                          {"duration_ms", std::round(ms * 1000) / 1000},
                          {"request_id", request.request_id}});
  }
}

}  // namespace orderflow::http
