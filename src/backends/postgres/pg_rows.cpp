#include "backends/postgres/pg_rows.hpp"

#include <boost/json/parse.hpp>

namespace orderflow::backends {

namespace json = boost::json;
using domain::Order;

std::int64_t int_of(const std::optional<std::string>& text) {
  return text ? std::stoll(*text) : 0;
}

std::optional<std::int64_t> optional_int_of(const std::optional<std::string>& text) {
  return text ? std::optional<std::int64_t>(std::stoll(*text)) : std::nullopt;
}

Order order_from_row(const Row& r) {
  Order o;
  o.order_id = *r[0];
  o.status = domain::parse_status(*r[1]).value_or(domain::OrderStatus::pending);
  o.customer_id = r[2];
  o.customer_name = r[3];
  o.customer_email = r[4];
  o.currency = *r[5];
  o.items = domain::lines_from_storage_json(json::parse(*r[6]).as_array());
  o.subtotal = int_of(r[7]);
  o.tax = int_of(r[8]);
  o.total = int_of(r[9]);
  o.failure_reason = r[10];
  o.session_id = r[11];
  o.payment_method = *r[12];
  o.shipping_address = json::parse(*r[13]);
  o.created_at = int_of(r[14]);
  o.updated_at = int_of(r[15]);
  o.processed_at = optional_int_of(r[16]);
  o.version = int_of(r[17]);
  return o;
}

domain::CatalogProduct product_from_row(const Row& r) {
  return {*r[0], *r[1],        *r[2],        *r[3],        int_of(r[4]), *r[5],
          *r[6], int_of(r[7]), int_of(r[8]), int_of(r[9]), int_of(r[10])};
}

}  // namespace orderflow::backends
