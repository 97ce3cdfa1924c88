#include "core/domain/order.hpp"

#include <algorithm>
#include <array>

#include "base/ids.hpp"
#include "base/json.hpp"
#include "base/time.hpp"
#include "core/domain/validation.hpp"

namespace orderflow::domain {

namespace json = boost::json;

namespace {
constexpr std::array<std::string_view, 7> kStatusNames = {
    "queued", "pending", "confirmed", "shipped", "delivered", "cancelled", "failed"};

constexpr std::size_t kMaxText = 255;
// The one free-form field: every order row carries it, so lists of orders stay bounded by it.
constexpr std::size_t kMaxAddressProperties = 32;
constexpr std::size_t kMaxAddressBytes = 2048;

bool looks_like_email(std::string_view s) {
  const auto at = s.find('@');
  if (at == std::string_view::npos || at == 0 || s.size() > 254) return false;
  if (s.find('@', at + 1) != std::string_view::npos) return false;
  const auto domain = s.substr(at + 1);
  const auto dot = domain.find('.');
  if (dot == std::string_view::npos || dot == 0 || domain.back() == '.') return false;
  for (char c : s)
    if (static_cast<unsigned char>(c) <= ' ') return false;
  return true;
}

// Reads an optional bounded string field; records an error when present but malformed.
std::optional<std::string> optional_text(const json::object& o, std::string_view key,
                                         const std::string& path, std::vector<FieldError>& errors) {
  const auto* v = o.if_contains(key);
  if (!v || v->is_null()) return std::nullopt;
  if (!v->is_string()) {
    errors.push_back({path, "must be a string"});
    return std::nullopt;
  }
  const auto& s = v->get_string();
  if (s.empty() || s.size() > kMaxText) {
    errors.push_back({path, "must be 1-255 characters"});
    return std::nullopt;
  }
  return std::string(s);
}

std::optional<std::int64_t> integer_value(const json::value& v) {
  if (v.is_int64()) return v.get_int64();
  if (v.is_uint64() && v.get_uint64() <= static_cast<std::uint64_t>(INT64_MAX))
    return static_cast<std::int64_t>(v.get_uint64());
  return std::nullopt;
}

ItemRequest parse_item(const json::value& v, const std::string& path,
                       std::vector<FieldError>& errors) {
  ItemRequest item;
  if (!v.is_object()) {
    errors.push_back({path, "must be an object"});
    return item;
  }
  const auto& o = v.get_object();
  const auto qty = o.if_contains("quantity");
  const auto q = qty ? integer_value(*qty) : std::nullopt;
  if (!q || *q < 1 || *q > 1000)
    errors.push_back({path + ".quantity", "must be an integer from 1 to 1000"});
  else
    item.quantity = *q;

  const bool has_product = o.contains("product_id") && !o.at("product_id").is_null();
  const bool has_adhoc = o.contains("name") || o.contains("unit_price");
  if (has_product && has_adhoc) {
    errors.push_back({path, "give either product_id, or name and unit_price, not both"});
    return item;
  }
  if (has_product) {
    const auto& p = o.at("product_id");
    if (!p.is_string() || !is_valid_client_id(p.get_string()))
      errors.push_back({path + ".product_id", std::string(kClientIdRule)});
    else
      item.product_id = std::string(p.get_string());
    return item;
  }
  if (!has_adhoc) {
    errors.push_back({path, "needs product_id, or name and unit_price"});
    return item;
  }
  if (auto name = optional_text(o, "name", path + ".name", errors))
    item.name = std::move(*name);
  else if (!o.contains("name") || o.at("name").is_null())
    errors.push_back({path + ".name", "is required for an ad-hoc line"});
  const auto* price = o.if_contains("unit_price");
  if (!price || price->is_null())
    errors.push_back({path + ".unit_price", "is required for an ad-hoc line"});
  else if (auto cents = parse_money(*price))
    item.unit_price = *cents;
  else
    errors.push_back({path + ".unit_price",
                      "must be a non-negative amount with at most 2 decimals, up to 10000000000"});
  if (auto sku = optional_text(o, "sku", path + ".sku", errors)) item.sku = std::move(*sku);
  return item;
}
}  // namespace

std::string_view to_string(OrderStatus s) {
  return kStatusNames[static_cast<std::size_t>(s)];
}

std::optional<OrderStatus> parse_status(std::string_view s) {
  for (std::size_t i = 0; i < kStatusNames.size(); ++i)
    if (kStatusNames[i] == s) return static_cast<OrderStatus>(i);
  return std::nullopt;
}

bool is_allowed_transition(OrderStatus from, OrderStatus to) {
  using S = OrderStatus;
  switch (from) {
    case S::pending:
      return to == S::confirmed || to == S::cancelled;
    case S::confirmed:
      return to == S::shipped || to == S::cancelled;
    case S::shipped:
      return to == S::delivered;
    default:
      return false;
  }
}

namespace {
void read_order_request(const json::object& o, std::string_view default_currency, OrderRequest& r,
                        std::vector<FieldError>& errors) {
  r.order_id = optional_id(o, "order_id", is_valid_client_id, kClientIdRule, errors);
  r.customer_id = optional_text(o, "customer_id", "customer_id", errors);
  r.customer_name = optional_text(o, "customer_name", "customer_name", errors);
  r.customer_email = optional_text(o, "customer_email", "customer_email", errors);
  if (r.customer_email && !looks_like_email(*r.customer_email)) {
    errors.push_back({"customer_email", "must be an email address"});
    r.customer_email.reset();
  }

  const auto* items = o.if_contains("items");
  const auto* amount = o.if_contains("amount");
  const bool has_items = items && !items->is_null();
  const bool has_amount = amount && !amount->is_null();
  if (has_items == has_amount) {
    errors.push_back({has_items ? "amount" : "items", "give exactly one of items or amount"});
  } else if (has_items) {
    if (!items->is_array() || items->get_array().empty() || items->get_array().size() > 100) {
      errors.push_back({"items", "must be an array of 1 to 100 items"});
    } else {
      const auto& arr = items->get_array();
      for (std::size_t i = 0; i < arr.size(); ++i)
        r.items.push_back(parse_item(arr[i], "items[" + std::to_string(i) + "]", errors));
    }
  } else if (auto cents = parse_money(*amount)) {
    r.amount = *cents;
  } else {
    errors.push_back(
        {"amount", "must be a non-negative amount with at most 2 decimals, up to 10000000000"});
  }

  r.currency = std::string(default_currency);
  if (const auto* c = o.if_contains("currency"); c && !c->is_null()) {
    const bool ok = c->is_string() && c->get_string().size() == 3 &&
                    std::all_of(c->get_string().begin(), c->get_string().end(),
                                [](char ch) { return ch >= 'A' && ch <= 'Z'; });
    if (ok)
      r.currency = std::string(c->get_string());
    else
      errors.push_back({"currency", "must be an ISO 4217 upper-case code such as USD"});
  }
  r.payment_method = optional_text(o, "payment_method", "payment_method", errors).value_or("card");
  if (const auto* a = o.if_contains("shipping_address"); a && !a->is_null()) {
    if (!a->is_object())
      errors.push_back({"shipping_address", "must be an object"});
    else if (a->get_object().size() > kMaxAddressProperties ||
             to_json_text(*a).size() > kMaxAddressBytes)
      errors.push_back({"shipping_address", "must have at most 32 properties and 2048 bytes"});
    else
      r.shipping_address = *a;
  }
}
}  // namespace

OrderRequestParse parse_order_request(const json::value& body, std::string_view default_currency) {
  OrderRequestParse out;
  if (const auto* o = body_object(body, out.errors))
    read_order_request(*o, default_currency, out.request, out.errors);
  return out;
}

json::object to_message_json(const OrderRequest& r) {
  json::object o;
  put_optional(o, "order_id", r.order_id);
  put_optional(o, "customer_id", r.customer_id);
  put_optional(o, "customer_name", r.customer_name);
  put_optional(o, "customer_email", r.customer_email);
  if (r.amount) {
    o["amount_cents"] = *r.amount;
  } else {
    json::array items;
    for (const auto& it : r.items) {
      json::object i;
      put_optional(i, "product_id", it.product_id);
      if (!it.product_id) {
        i["name"] = it.name;
        i["unit_price_cents"] = it.unit_price.value_or(0);
        if (!it.sku.empty()) i["sku"] = it.sku;
      }
      i["quantity"] = it.quantity;
      items.push_back(std::move(i));
    }
    o["items"] = std::move(items);
  }
  o["currency"] = r.currency;
  o["payment_method"] = r.payment_method;
  o["shipping_address"] = r.shipping_address;
  put_optional(o, "session_id", r.session_id);
  return o;
}

OrderRequest order_request_from_message(const json::object& o) {
  OrderRequest r;
  r.order_id = get_optional_string(o, "order_id");
  r.customer_id = get_optional_string(o, "customer_id");
  r.customer_name = get_optional_string(o, "customer_name");
  r.customer_email = get_optional_string(o, "customer_email");
  if (const auto* a = o.if_contains("amount_cents")) r.amount = a->to_number<std::int64_t>();
  if (const auto* items = o.if_contains("items")) {
    for (const auto& v : items->as_array()) {
      const auto& i = v.as_object();
      ItemRequest item;
      item.product_id = get_optional_string(i, "product_id");
      item.name = get_optional_string(i, "name").value_or("");
      if (const auto* p = i.if_contains("unit_price_cents"))
        item.unit_price = p->to_number<std::int64_t>();
      item.sku = get_optional_string(i, "sku").value_or("");
      item.quantity = i.at("quantity").to_number<std::int64_t>();
      r.items.push_back(std::move(item));
    }
  }
  r.currency = std::string(o.at("currency").as_string());
  r.payment_method = std::string(o.at("payment_method").as_string());
  if (const auto* a = o.if_contains("shipping_address")) r.shipping_address = *a;
  r.session_id = get_optional_string(o, "session_id");
  return r;
}

namespace {
json::value money_or_null(std::optional<Cents> c) {
  return c ? json::value(format_money(*c)) : json::value(nullptr);
}
json::value time_or_null(std::optional<std::int64_t> t) {
  return t ? json::value(format_rfc3339(*t)) : json::value(nullptr);
}
json::value text_or_null(const std::optional<std::string>& s) {
  return s ? json::value(*s) : json::value(nullptr);
}
json::value text_or_null(const std::string& s) {
  return s.empty() ? json::value(nullptr) : json::value(s);
}
}  // namespace

json::object to_api_json(const Order& o) {
  json::array items;
  for (const auto& l : o.items) {
    items.push_back(json::object{{"product_id", text_or_null(l.product_id)},
                                 {"sku", text_or_null(l.sku)},
                                 {"name", l.name},
                                 {"unit_price", format_money(l.unit_price)},
                                 {"quantity", l.quantity},
                                 {"line_total", format_money(l.line_total)}});
  }
  return json::object{{"order_id", o.order_id},
                      {"status", to_string(o.status)},
                      {"customer_id", text_or_null(o.customer_id)},
                      {"customer_name", text_or_null(o.customer_name)},
                      {"customer_email", text_or_null(o.customer_email)},
                      {"currency", o.currency},
                      {"items", std::move(items)},
                      {"subtotal", format_money(o.subtotal)},
                      {"tax", format_money(o.tax)},
                      {"total", format_money(o.total)},
                      {"failure_reason", text_or_null(o.failure_reason)},
                      {"session_id", text_or_null(o.session_id)},
                      {"payment_method", o.payment_method},
                      {"shipping_address", o.shipping_address},
                      {"created_at", format_rfc3339(o.created_at)},
                      {"updated_at", format_rfc3339(o.updated_at)},
                      {"processed_at", time_or_null(o.processed_at)},
                      {"version", o.version}};
}

json::object queued_api_json(const OrderRequest& r, std::string_view order_id,
                             std::int64_t accepted_at) {
  // Catalog prices are only known once the worker applies the order, so they stay null here.
  json::array items;
  std::optional<Cents> subtotal = r.amount;
  if (!r.amount) subtotal = 0;
  for (const auto& it : r.items) {
    std::optional<Cents> line;
    if (it.unit_price) line = *it.unit_price * it.quantity;
    if (subtotal && line)
      *subtotal += *line;
    else
      subtotal.reset();
    items.push_back(json::object{{"product_id", text_or_null(it.product_id)},
                                 {"sku", text_or_null(it.sku)},
                                 {"name", text_or_null(it.name)},
                                 {"unit_price", money_or_null(it.unit_price)},
                                 {"quantity", it.quantity},
                                 {"line_total", money_or_null(line)}});
  }
  const auto at = format_rfc3339(accepted_at);
  return json::object{{"order_id", order_id},
                      {"status", "queued"},
                      {"customer_id", text_or_null(r.customer_id)},
                      {"customer_name", text_or_null(r.customer_name)},
                      {"customer_email", text_or_null(r.customer_email)},
                      {"currency", r.currency},
                      {"items", std::move(items)},
                      {"subtotal", money_or_null(subtotal)},
                      {"tax", nullptr},
                      {"total", nullptr},
                      {"failure_reason", nullptr},
                      {"session_id", text_or_null(r.session_id)},
                      {"payment_method", r.payment_method},
                      {"shipping_address", r.shipping_address},
                      {"created_at", at},
                      {"updated_at", at},
                      {"processed_at", nullptr},
                      {"version", 0}};
}

json::array lines_to_storage_json(const std::vector<OrderLine>& lines) {
  json::array a;
  for (const auto& l : lines)
    a.push_back(json::object{{"product_id", l.product_id},
                             {"sku", l.sku},
                             {"name", l.name},
                             {"unit_price", l.unit_price},
                             {"quantity", l.quantity},
                             {"line_total", l.line_total}});
  return a;
}

std::vector<OrderLine> lines_from_storage_json(const json::array& a) {
  std::vector<OrderLine> lines;
  for (const auto& v : a) {
    const auto& o = v.as_object();
    lines.push_back(
        {std::string(o.at("product_id").as_string()), std::string(o.at("sku").as_string()),
         std::string(o.at("name").as_string()), o.at("unit_price").to_number<Cents>(),
         o.at("quantity").to_number<std::int64_t>(), o.at("line_total").to_number<Cents>()});
  }
  return lines;
}

}  // namespace orderflow::domain
