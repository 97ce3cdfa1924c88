#pragma once
// The handlers' readers of untrusted request parts (query strings, headers): pure functions of
// the request, each refusing what it cannot take with a 400. Fuzzed by tests/fuzz.
#include <optional>
#include <string>

#include "core/ports/catalog.hpp"
#include "core/ports/order_reads.hpp"
#include "http/message.hpp"

namespace orderflow::api {

// GET /api/products and the category listing: filters, sort whitelist, paging.
ports::ProductFilter product_filter(const http::Request& r);

// GET /api/orders (and my-orders, with the session fixed): filters, sort, and a page by number
// (page, limit) or by cursor (cursor, limit, with_total).
ports::OrderFilter order_filter(const http::Request& r, std::optional<std::string> session);
// The cursor of the page that starts after `key`, as order_filter reads it back.
std::string order_cursor(const ports::OrderKey& key, bool oldest_first);

// The Idempotency-Key header, when sent: UTF-8 text without NUL.
std::optional<std::string> idempotency_key(const http::Request& r);

// The cart's session: X-Session-ID, else the session_id cookie, else a new one (`fresh`).
struct Session {
  std::string id;
  bool fresh = false;  // made for this request: tell the client
};
Session session_of(const http::Request& r);

}  // namespace orderflow::api
