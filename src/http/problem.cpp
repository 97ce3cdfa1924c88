#include "http/problem.hpp"

#include "base/json.hpp"

#include <boost/json/value.hpp>

namespace orderflow::http {

namespace json = boost::json;

namespace {
std::string_view title_for(int status) {
  switch (status) {
    case 400:
      return "Bad Request";
    case 401:
      return "Unauthorized";
    case 404:
      return "Not Found";
    case 405:
      return "Method Not Allowed";
    case 409:
      return "Conflict";
    case 413:
      return "Payload Too Large";
    case 414:
      return "URI Too Long";
    case 415:
      return "Unsupported Media Type";
    case 422:
      return "Unprocessable Content";
    case 429:
      return "Too Many Requests";
    case 431:
      return "Request Header Fields Too Large";
    case 503:
      return "Service Unavailable";
    default:
      return status >= 500 ? "Internal Server Error" : "Error";
  }
}
}  // namespace

ApiError http_error(const core::Error& e) {
  using core::ErrorKind;
  switch (e.kind()) {
    case ErrorKind::validation_failed:
      return ApiError(400, "validation_failed", e.what()).with_errors(e.errors());
    case ErrorKind::not_found:
      return ApiError(404, "not_found", e.what());
    case ErrorKind::conflict:
      return ApiError(409, "conflict", e.what());
    case ErrorKind::invalid_transition:
      return ApiError(409, "invalid_transition", e.what());
    case ErrorKind::idempotency_conflict:
      return ApiError(422, "idempotency_conflict", e.what());
    case ErrorKind::unavailable:
      break;
  }
  return ApiError(503, "unavailable", e.what()).with_header("Retry-After", "1");
}

Response problem_response(const ApiError& e, const std::string& request_id) {
  json::object body{{"type", "https://orderflow.dev/problems/" + e.code()},
                    {"title", title_for(e.status())},
                    {"status", e.status()},
                    {"detail", e.what()},
                    {"code", e.code()},
                    {"request_id", request_id}};
  if (!e.errors().empty()) {
    json::array errors;
    for (const auto& f : e.errors())
      errors.push_back(json::object{{"field", f.field}, {"message", f.message}});
    body["errors"] = std::move(errors);
  }
  Response r;
  r.status = e.status();
  r.content_type = "application/problem+json";
  r.body = to_json_text(body);
  for (const auto& [k, v] : e.headers()) r.set(k, v);
  return r;
}

}  // namespace orderflow::http
