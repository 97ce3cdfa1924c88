#pragma once
#include <boost/json/object.hpp>
#include <boost/json/value.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/domain/money.hpp"
#include "core/errors.hpp"

namespace orderflow::domain {

enum class OrderStatus { queued, pending, confirmed, shipped, delivered, cancelled, failed };

std::string_view to_string(OrderStatus s);
std::optional<OrderStatus> parse_status(std::string_view s);
// The transitions a client may request (the worker's own moves, e.g. pending→failed, are not here).
bool is_allowed_transition(OrderStatus from, OrderStatus to);

// One line of an order request: a catalog product, or an ad-hoc line with name and unit_price.
struct ItemRequest {
  std::optional<std::string> product_id;
  std::string name;
  std::optional<Cents> unit_price;
  std::int64_t quantity = 0;
  std::string sku;
};

// A validated order request, as it travels through the queue.
struct OrderRequest {
  std::optional<std::string> order_id;  // client-supplied
  std::optional<std::string> customer_id, customer_name, customer_email;
  std::vector<ItemRequest> items;
  std::optional<Cents> amount;
  std::string currency;
  std::string payment_method;
  boost::json::value shipping_address;  // null when absent
  std::optional<std::string> session_id;
};

struct OrderLine {
  std::string product_id;  // empty for ad-hoc lines
  std::string sku;
  std::string name;
  Cents unit_price = 0;
  std::int64_t quantity = 0;
  Cents line_total = 0;
};

struct Order {
  std::string order_id;
  OrderStatus status = OrderStatus::pending;
  std::optional<std::string> customer_id, customer_name, customer_email;
  std::string currency;
  std::vector<OrderLine> items;
  Cents subtotal = 0, tax = 0, total = 0;
  std::optional<std::string> failure_reason;
  std::optional<std::string> session_id;
  std::string payment_method;
  boost::json::value shipping_address;
  std::int64_t created_at = 0, updated_at = 0;
  std::optional<std::int64_t> processed_at;
  std::int64_t version = 1;
};

using core::FieldError;

// Parses and validates a POST /api/orders body. On failure `errors` is non-empty.
struct OrderRequestParse {
  OrderRequest request;
  std::vector<FieldError> errors;
};
OrderRequestParse parse_order_request(const boost::json::value& body,
                                      std::string_view default_currency);

// Lossless JSON form used in queue messages (money as integer cents).
boost::json::object to_message_json(const OrderRequest& r);
OrderRequest order_request_from_message(const boost::json::object& o);

// API views.
boost::json::object to_api_json(const Order& o);
boost::json::object queued_api_json(const OrderRequest& r, std::string_view order_id,
                                    std::int64_t accepted_at);

// Storage form of an order's lines (money as integer cents).
boost::json::array lines_to_storage_json(const std::vector<OrderLine>& lines);
std::vector<OrderLine> lines_from_storage_json(const boost::json::array& a);

}  // namespace orderflow::domain
