#include "api/common.hpp"

#include <openssl/crypto.h>

#include <algorithm>
#include <cctype>
#include <charconv>

#include "base/json.hpp"
#include "core/domain/money.hpp"

namespace orderflow::api {

namespace json = boost::json;

http::Response json_response(int status, const json::value& body) {
  http::Response r;
  r.status = status;
  r.body = to_json_text(body);
  return r;
}

http::Response empty_response(int status) {
  http::Response r;
  r.status = status;
  r.content_type.clear();
  return r;
}

json::value parse_json_body(const http::Request& r) {
  if (r.body.empty()) return nullptr;
  // Money fields keep their text as written: a number is refused exactly when the same digits
  // as a string would be (domain::parse_money).
  auto parsed = parse_request_json(r.body, domain::kMoneyFields);
  if (!parsed.value)
    throw core::validation_failed("the request body is not valid JSON", {{"body", parsed.error}});
  return std::move(*parsed.value);
}

std::optional<std::int64_t> int_param(const http::Request& r, std::string_view name,
                                      std::int64_t lo, std::int64_t hi) {
  const auto v = r.query_param(name);
  if (!v) return std::nullopt;
  std::int64_t n = 0;
  const auto [end, ec] = std::from_chars(v->data(), v->data() + v->size(), n);
  if (ec != std::errc() || end != v->data() + v->size() || n < lo || n > hi)
    throw core::validation_failed(
        "invalid query parameter " + std::string(name),
        {{std::string(name),
          "must be an integer from " + std::to_string(lo) + " to " + std::to_string(hi)}});
  return n;
}

Paging parse_paging(const http::Request& r, std::int64_t max_limit) {
  Paging p;
  p.page = int_param(r, "page", 1, 1'000'000).value_or(1);
  p.limit = int_param(r, "limit", 1, max_limit).value_or(std::min<std::int64_t>(50, max_limit));
  return p;
}

void require_admin(const http::Request& r, const std::optional<std::string>& admin_token) {
  if (admin_token) {
    // RFC 9110 §11.1: the scheme name is case-insensitive; the token is compared in constant time.
    const auto auth = r.header("Authorization");
    constexpr std::string_view scheme = "bearer ";
    if (auth && auth->size() == scheme.size() + admin_token->size() &&
        std::equal(
            scheme.begin(), scheme.end(), auth->begin(),
            [](char a, char b) { return a == std::tolower(static_cast<unsigned char>(b)); }) &&
        CRYPTO_memcmp(auth->data() + scheme.size(), admin_token->data(), admin_token->size()) == 0)
      return;
    throw http::ApiError(401, "unauthorized",
                         "this endpoint needs Authorization: Bearer <ADMIN_TOKEN>")
        .with_header("WWW-Authenticate", "Bearer");
  }
  if (!r.client_is_local)
    throw http::ApiError(401, "unauthorized",
                         "admin endpoints are served only to clients on this machine, not through "
                         "a proxy, while ADMIN_TOKEN is unset")
        .with_header("WWW-Authenticate", "Bearer");
}

}  // namespace orderflow::api
