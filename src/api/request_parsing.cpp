#include "api/request_parsing.hpp"

#include <algorithm>

#include "api/common.hpp"
#include "base/ids.hpp"
#include "base/time.hpp"
#include "base/utf8.hpp"
#include "core/domain/money.hpp"

namespace orderflow::api {

using http::Request;

namespace {

// A query parameter read by `parse`; a value it refuses is a validation error saying `rule`.
template <typename Parse>
auto parsed_param(const Request& r, std::string_view name, Parse parse, std::string_view rule)
    -> decltype(parse(std::string_view{})) {
  const auto v = r.query_param(name);
  if (!v) return std::nullopt;
  auto value = parse(*v);
  if (!value)
    throw core::validation_failed("invalid query parameter " + std::string(name),
                                  {{std::string(name), std::string(rule)}});
  return value;
}

std::optional<bool> parse_bool(std::string_view v) {
  if (v == "true" || v == "false") return v == "true";
  return std::nullopt;
}

std::optional<domain::Cents> money_param(const Request& r, std::string_view name) {
  return parsed_param(r, name, domain::parse_money_text, "must be an amount such as 19.99");
}

std::optional<std::int64_t> time_param(const Request& r, std::string_view name) {
  return parsed_param(
      r, name, [](std::string_view v) { return parse_rfc3339(v); },
      "must be an RFC 3339 timestamp");
}

std::optional<std::string> text_param(const Request& r, std::string_view name) {
  const auto v = r.query_param(name);
  return v ? std::optional<std::string>(*v) : std::nullopt;
}

std::optional<std::string> cookie(const Request& r, std::string_view name) {
  const auto header = r.header("Cookie");
  if (!header) return std::nullopt;
  std::string_view rest = *header;
  while (!rest.empty()) {
    const auto end = rest.find(';');
    auto pair = rest.substr(0, end);
    while (!pair.empty() && pair.front() == ' ') pair.remove_prefix(1);
    if (const auto eq = pair.find('='); eq != std::string_view::npos && pair.substr(0, eq) == name)
      return std::string(pair.substr(eq + 1));
    if (end == std::string_view::npos) break;
    rest.remove_prefix(end + 1);
  }
  return std::nullopt;
}

}  // namespace

ports::ProductFilter product_filter(const Request& r) {
  ports::ProductFilter f;
  const auto paging = parse_paging(r);
  f.page = paging.page;
  f.limit = paging.limit;
  if (auto c = r.query_param("category")) f.category = std::string(*c);
  if (auto q = r.query_param("q"); q && !q->empty()) f.q = std::string(*q);
  f.min_price = money_param(r, "min_price");
  f.max_price = money_param(r, "max_price");
  if (auto in_stock = parsed_param(r, "in_stock", parse_bool, "must be true or false"))
    f.in_stock = *in_stock;
  if (auto sort = parsed_param(r, "sort", domain::parse_product_sort,
                               "must be name, -name, price, -price or -created_at"))
    f.sort = *sort;
  return f;
}

std::string order_cursor(const ports::OrderKey& key, bool oldest_first) {
  return (oldest_first ? "a" : "d") + std::to_string(key.created_at) + "~" + key.order_id;
}

namespace {
// A cursor as order_cursor writes it: "a" or "d" (the list's direction), created_at, "~", the
// order id.
struct Cursor {
  bool oldest_first = false;
  ports::OrderKey key;
};
std::optional<Cursor> parse_cursor(std::string_view text) {
  const auto tilde = text.find('~');
  if (text.size() < 3 || (text[0] != 'a' && text[0] != 'd') || tilde == std::string_view::npos)
    return std::nullopt;
  const auto digits = text.substr(1, tilde - 1);
  const auto id = text.substr(tilde + 1);
  if (digits.empty() || digits.size() > 15 ||
      !std::all_of(digits.begin(), digits.end(), [](char c) { return c >= '0' && c <= '9'; }) ||
      !is_valid_client_id(id))
    return std::nullopt;
  return Cursor{text[0] == 'a', {std::stoll(std::string(digits)), std::string(id)}};
}
}  // namespace

ports::OrderFilter order_filter(const Request& r, std::optional<std::string> session) {
  const auto paging = parse_paging(r);
  ports::OrderFilter f;
  f.page = paging.page;
  f.limit = paging.limit;
  const auto as_status = [](std::string_view v) -> std::optional<std::string> {
    if (domain::parse_status(v)) return std::string(v);
    return std::nullopt;
  };
  f.status = parsed_param(r, "status", as_status, "must be an order status");
  f.customer_id = text_param(r, "customer_id");
  f.customer_email = text_param(r, "customer_email");
  f.session_id = session ? session : text_param(r, "session_id");
  f.created_after = time_param(r, "created_after");
  f.created_before = time_param(r, "created_before");
  const auto as_oldest_first = [](std::string_view v) -> std::optional<bool> {
    if (v == "created_at" || v == "-created_at") return v == "created_at";
    return std::nullopt;
  };
  if (auto oldest_first =
          parsed_param(r, "sort", as_oldest_first, "must be created_at or -created_at"))
    f.oldest_first = *oldest_first;
  if (const auto cursor =
          parsed_param(r, "cursor", parse_cursor, "must be a next_cursor this list answered")) {
    if (r.query_param("page"))
      throw core::validation_failed("invalid query parameter cursor",
                                    {{"cursor", "give either page or cursor"}});
    if (cursor->oldest_first != f.oldest_first)
      throw core::validation_failed("invalid query parameter cursor",
                                    {{"cursor", "was made for the other sort order"}});
    f.after = cursor->key;
    f.with_total = false;
  }
  // A page by number always has its total; a page by cursor only when asked.
  if (parsed_param(r, "with_total", parse_bool, "must be true or false").value_or(false))
    f.with_total = true;
  return f;
}

std::optional<std::string> idempotency_key(const Request& r) {
  const auto k = r.header("Idempotency-Key");
  if (!k) return std::nullopt;
  // Stored and compared as text on every backend: refused here, the same everywhere.
  if (!is_clean_text(*k))
    throw core::validation_failed("invalid Idempotency-Key",
                                  {{"Idempotency-Key", "must be UTF-8 text without NUL"}});
  return std::string(*k);
}

Session session_of(const Request& r) {
  if (auto h = r.header("X-Session-ID")) {
    if (!is_valid_client_id(*h))
      throw core::validation_failed("invalid X-Session-ID",
                                    {{"X-Session-ID", "must match ^[A-Za-z0-9._:-]{1,100}$"}});
    return {std::string(*h), false};
  }
  if (auto c = cookie(r, "session_id"); c && is_valid_client_id(*c)) return {*c, false};
  return {uuid_v7(), true};
}

}  // namespace orderflow::api
