#include "backends/postgres/pg_rows.hpp"

#include <boost/json/parse.hpp>

namespace orderflow::backends {

namespace json = boost::json;
using domain::Order;

Order order_from_row(const pg::Row& r) {
  Order o;
  o.order_id = r.text("order_id");
  o.status = domain::parse_status(r.text("status")).value_or(domain::OrderStatus::pending);
  o.customer_id = r["customer_id"];
  o.customer_name = r["customer_name"];
  o.customer_email = r["customer_email"];
  o.currency = r.text("currency");
  o.items = domain::lines_from_storage_json(json::parse(r.text("items")).as_array());
  o.subtotal = r.integer("subtotal");
  o.tax = r.integer("tax");
  o.total = r.integer("total");
  o.failure_reason = r["failure_reason"];
  o.session_id = r["session_id"];
  o.payment_method = r.text("payment_method");
  o.shipping_address = json::parse(r.text("shipping_address"));
  o.created_at = r.integer("created_at");
  o.updated_at = r.integer("updated_at");
  o.processed_at = r.optional_integer("processed_at");
  o.version = r.integer("version");
  return o;
}

domain::CatalogProduct product_from_row(const pg::Row& r) {
  return {r.text("product_id"),    r.text("sku"),          r.text("name"),
          r.text("description"),   r.integer("price"),     r.text("category"),
          r.text("category_name"), r.integer("stock"),     r.integer("reserved"),
          r.integer("created_at"), r.integer("updated_at")};
}

}  // namespace orderflow::backends
