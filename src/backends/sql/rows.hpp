#pragma once
// Orders, products and queue statistics from a row of any SQL backend, read by column name. A Row
// has text(), integer(), optional_text() and optional_integer() by name (sqlite::Cursor, pg::Row).
// Fuzzed through PostgreSQL's rows (tests/fuzz): a malformed value throws, nothing else happens.
#include <boost/json/parse.hpp>

#include <algorithm>

#include "core/domain/catalog.hpp"
#include "core/domain/order.hpp"
#include "core/ports/queue.hpp"

namespace orderflow::backends {

// The columns of orders.
template <typename Row>
domain::Order order_from_row(const Row& r) {
  domain::Order o;
  o.order_id = r.text("order_id");
  o.status = domain::parse_status(r.text("status")).value_or(domain::OrderStatus::pending);
  o.customer_id = r.optional_text("customer_id");
  o.customer_name = r.optional_text("customer_name");
  o.customer_email = r.optional_text("customer_email");
  o.currency = r.text("currency");
  o.items = domain::lines_from_storage_json(boost::json::parse(r.text("items")).as_array());
  o.subtotal = r.integer("subtotal");
  o.tax = r.integer("tax");
  o.total = r.integer("total");
  o.failure_reason = r.optional_text("failure_reason");
  o.session_id = r.optional_text("session_id");
  o.payment_method = r.text("payment_method");
  o.shipping_address = boost::json::parse(r.text("shipping_address"));
  o.created_at = r.integer("created_at");
  o.updated_at = r.integer("updated_at");
  o.processed_at = r.optional_integer("processed_at");
  o.version = r.integer("version");
  return o;
}

// The columns of products, with the category's name as category_name.
template <typename Row>
domain::CatalogProduct product_from_row(const Row& r) {
  return {r.text("product_id"),    r.text("sku"),          r.text("name"),
          r.text("description"),   r.integer("price"),     r.text("category"),
          r.text("category_name"), r.integer("stock"),     r.integer("reserved"),
          r.integer("created_at"), r.integer("updated_at")};
}

// A queue's depths: columns visible, in_flight, delayed, dead_letter and oldest_sent_at.
template <typename Row>
void read_queue_depths(const Row& r, std::int64_t now, queue::QueueStats& s) {
  for (const auto& [name, field] : queue::kQueueDepths) s.*field = r.integer(name);
  if (const auto oldest = r.optional_integer("oldest_sent_at"))
    s.oldest_age_ms = std::max<std::int64_t>(0, now - *oldest);
}

// A queue's counters since it was created: the columns of queue_counters.
template <typename Row>
void read_queue_counters(const Row& r, queue::QueueStats& s) {
  for (const auto& [name, field] : queue::kQueueCounters) s.*field = r.integer(name);
}

// A dead letter: the columns of queue_messages.
template <typename Row>
queue::DeadLetter dead_letter_from_row(const Row& r) {
  return {r.text("message_id"),
          r.text("group_id"),
          r.text("body"),
          static_cast<int>(r.integer("receive_count")),
          r.optional_text("last_error"),
          r.integer("sent_at"),
          r.optional_integer("dead_lettered_at")};
}

}  // namespace orderflow::backends
