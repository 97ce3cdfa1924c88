#pragma once
// Small helpers shared by the handlers: JSON in and out, query parameters, admin access.
#include <boost/json/value.hpp>

#include <optional>
#include <string>

#include "http/message.hpp"
#include "http/problem.hpp"

namespace orderflow::api {

http::Response json_response(int status, const boost::json::value& body);
// A response without a body (204, 304).
http::Response empty_response(int status);

// The request body as JSON (parse_request_json: money fields as written, no NUL); an empty body
// gives null. Malformed JSON → 400.
boost::json::value parse_json_body(const http::Request& r);

struct Paging {
  std::int64_t page = 1, limit = 50;
};
// page ≥ 1 (default 1) and limit 1..max_limit (default 50); else 400.
Paging parse_paging(const http::Request& r, std::int64_t max_limit = 100);

// An optional integer query parameter within [lo, hi]; else 400 naming the parameter.
std::optional<std::int64_t> int_param(const http::Request& r, std::string_view name,
                                      std::int64_t lo, std::int64_t hi);

// Admin endpoints: Bearer ADMIN_TOKEN when set, else local clients only (Request::client_is_local:
// loopback, no proxy in between); 401 otherwise.
void require_admin(const http::Request& r, const std::optional<std::string>& admin_token);

}  // namespace orderflow::api
