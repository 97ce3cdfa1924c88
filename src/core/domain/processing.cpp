#include "core/domain/processing.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include <stdexcept>

#include "base/ids.hpp"
#include "base/json.hpp"

namespace orderflow::domain {

ProcessingRules simulated_payment_rules(Rate tax_rate, double failure_rate) {
  return {tax_rate, [failure_rate](const Order& o) {
            if (o.payment_method == "test_decline") return true;
            return failure_rate > 0 &&
                   static_cast<double>(random_below(1'000'000)) < failure_rate * 1e6;
          }};
}

namespace json = boost::json;

std::string encode_message(const OrderMessage& m) {
  json::object o;
  if (const auto* c = std::get_if<CreateOrder>(&m)) {
    o = {{"type", "order.create"},
         {"order_id", c->order_id},
         {"accepted_at", c->accepted_at},
         {"request", to_message_json(c->request)}};
  } else if (const auto* s = std::get_if<SetStatus>(&m)) {
    o = {{"type", "order.set_status"},
         {"order_id", s->order_id},
         {"status", to_string(s->status)},
         {"requested_at", s->requested_at},
         {"request_id", s->request_id}};
  } else {
    const auto& d = std::get<DeleteOrder>(m);
    o = {{"type", "order.delete"},
         {"order_id", d.order_id},
         {"requested_at", d.requested_at},
         {"request_id", d.request_id}};
  }
  return json::serialize(o);
}

OrderMessage decode_message(std::string_view body) {
  auto parsed = try_parse_json(body);
  if (!parsed || !parsed->is_object())
    throw std::invalid_argument("message body is not a JSON object");
  try {
    const auto& o = parsed->get_object();
    const auto type = o.at("type").as_string();
    std::string order_id(o.at("order_id").as_string());
    if (type == "order.create")
      return CreateOrder{std::move(order_id), o.at("accepted_at").to_number<std::int64_t>(),
                         order_request_from_message(o.at("request").as_object())};
    if (type == "order.set_status") {
      auto status = parse_status(o.at("status").as_string());
      if (!status) throw std::invalid_argument("unknown status");
      return SetStatus{std::move(order_id), *status, o.at("requested_at").to_number<std::int64_t>(),
                       std::string(o.at("request_id").as_string())};
    }
    if (type == "order.delete")
      return DeleteOrder{std::move(order_id), o.at("requested_at").to_number<std::int64_t>(),
                         std::string(o.at("request_id").as_string())};
    throw std::invalid_argument("unknown message type");
  } catch (const std::invalid_argument&) {
    throw;
  } catch (const std::exception& e) {
    throw std::invalid_argument(std::string("malformed order message: ") + e.what());
  }
}

const std::string& message_order_id(const OrderMessage& m) {
  return std::visit([](const auto& x) -> const std::string& { return x.order_id; }, m);
}

std::set<std::string> products_needed(const std::vector<OrderMessage>& messages,
                                      const BatchState& state) {
  std::set<std::string> ids;
  for (const auto& m : messages) {
    if (const auto* c = std::get_if<CreateOrder>(&m)) {
      for (const auto& item : c->request.items)
        if (item.product_id) ids.insert(*item.product_id);
    } else if (auto it = state.orders.find(message_order_id(m));
               it != state.orders.end() && it->second) {
      for (const auto& line : it->second->items)
        if (!line.product_id.empty()) ids.insert(line.product_id);
    }
  }
  return ids;
}

namespace {

// Quantities per catalog product across an order's lines.
std::map<std::string, std::int64_t> catalog_quantities(const std::vector<OrderLine>& lines) {
  std::map<std::string, std::int64_t> q;
  for (const auto& l : lines)
    if (!l.product_id.empty()) q[l.product_id] += l.quantity;
  return q;
}

json::array quantities_json(const std::map<std::string, std::int64_t>& q) {
  json::array a;
  for (const auto& [id, n] : q) a.push_back(json::object{{"product_id", id}, {"quantity", n}});
  return a;
}

class Applier {
 public:
  Applier(BatchState& s, const ProcessingRules& r, std::int64_t now)
      : s_(s), rules_(r), now_(now) {}

  void operator()(const CreateOrder& c) {
    auto& slot = s_.orders.at(c.order_id);
    if (slot) return;  // already applied: a create is idempotent
    event(c.order_id, "order.accepted", c.accepted_at, {});

    Order o;
    o.order_id = c.order_id;
    o.customer_id = c.request.customer_id;
    o.customer_name = c.request.customer_name;
    o.customer_email = c.request.customer_email;
    o.currency = c.request.currency;
    o.payment_method = c.request.payment_method;
    o.shipping_address = c.request.shipping_address;
    o.session_id = c.request.session_id;
    o.created_at = c.accepted_at;
    o.updated_at = now_;
    o.processed_at = now_;

    std::optional<std::string> unknown_product;
    for (const auto& item : c.request.items) {
      OrderLine line;
      line.quantity = item.quantity;
      if (item.product_id) {
        line.product_id = *item.product_id;
        auto p = s_.products.find(*item.product_id);
        if (p == s_.products.end()) {
          if (!unknown_product) unknown_product = *item.product_id;
          line.name = *item.product_id;
        } else {
          line.sku = p->second.sku;
          line.name = p->second.name;
          line.unit_price = p->second.price;
        }
      } else {
        line.name = item.name;
        line.sku = item.sku;
        line.unit_price = item.unit_price.value_or(0);
      }
      line.line_total = line.unit_price * line.quantity;
      o.subtotal += line.line_total;
      o.items.push_back(std::move(line));
    }
    if (c.request.amount) o.subtotal = *c.request.amount;
    o.tax = apply_rate(o.subtotal, rules_.tax_rate);
    o.total = o.subtotal + o.tax;
    o.status = OrderStatus::pending;
    event(o.order_id, "order.pending", now_,
          {{"subtotal", format_money(o.subtotal)},
           {"tax", format_money(o.tax)},
           {"total", format_money(o.total)}});
    s_.intake_updates[o.order_id] = IntakeState::applied;

    if (unknown_product) {
      fail(o, "unknown_product", {{"product_id", *unknown_product}});
    } else if (reserve(o)) {
      if (rules_.payment_declined(o)) {
        event(o.order_id, "payment.failed", now_, {{"amount", format_money(o.total)}});
        release_reservation(o);
        fail(o, "payment_declined", {});
      } else {
        event(o.order_id, "payment.succeeded", now_,
              {{"amount", format_money(o.total)}, {"method", o.payment_method}});
        commit_reservation(o);
        o.status = OrderStatus::confirmed;
        event(o.order_id, "order.confirmed", now_, {});
      }
    }
    slot = std::move(o);
    s_.changed_orders.insert(c.order_id);
  }

  void operator()(const SetStatus& m) {
    auto& slot = s_.orders.at(m.order_id);
    const auto from = slot ? to_string(slot->status) : std::string_view("absent");
    if (!slot || !is_allowed_transition(slot->status, m.status)) {
      event(m.order_id, "order.transition_rejected", now_,
            {{"from", from},
             {"to", to_string(m.status)},
             {"reason", slot ? "invalid_transition" : "not_found"},
             {"request_id", m.request_id}});
      return;
    }
    Order& o = *slot;
    const auto previous = o.status;
    if (m.status == OrderStatus::cancelled) release_held(o);
    o.status = m.status;
    o.updated_at = now_;
    ++o.version;
    s_.changed_orders.insert(o.order_id);
    event(
        o.order_id, "order.status_changed", now_,
        {{"from", to_string(previous)}, {"to", to_string(m.status)}, {"request_id", m.request_id}});
    if (m.status == OrderStatus::cancelled) event(o.order_id, "order.cancelled", now_, {});
  }

  void operator()(const DeleteOrder& m) {
    auto& slot = s_.orders.at(m.order_id);
    if (!slot) {
      event(m.order_id, "order.transition_rejected", now_,
            {{"from", "absent"},
             {"to", "deleted"},
             {"reason", "not_found"},
             {"request_id", m.request_id}});
      return;
    }
    release_held(*slot);
    event(m.order_id, "order.deleted", now_, {{"request_id", m.request_id}});
    slot.reset();
    s_.changed_orders.insert(m.order_id);
    s_.intake_updates[m.order_id] = IntakeState::deleted;
  }

 private:
  void event(const std::string& order_id, std::string type, std::int64_t at, json::object data) {
    s_.events.push_back({order_id, std::move(type), at, std::move(data)});
  }

  void fail(Order& o, std::string reason, json::object detail) {
    o.status = OrderStatus::failed;
    o.failure_reason = reason;
    detail["reason"] = std::move(reason);
    event(o.order_id, "order.failed", now_, std::move(detail));
  }

  Product& product(const std::string& id) {
    s_.changed_products.insert(id);
    return s_.products.at(id);
  }

  // All or nothing: every catalog line must be available before anything is reserved.
  bool reserve(Order& o) {
    const auto wanted = catalog_quantities(o.items);
    for (const auto& [id, n] : wanted) {
      if (s_.products.at(id).available() < n) {
        fail(o, "out_of_stock", {{"product_id", id}});
        return false;
      }
    }
    if (wanted.empty()) return true;
    for (const auto& [id, n] : wanted) product(id).reserved += n;
    event(o.order_id, "inventory.reserved", now_, {{"items", quantities_json(wanted)}});
    return true;
  }

  void release_reservation(const Order& o) {
    const auto held = catalog_quantities(o.items);
    if (held.empty()) return;
    for (const auto& [id, n] : held)
      if (s_.products.count(id)) product(id).reserved -= n;
    event(o.order_id, "inventory.released", now_, {{"items", quantities_json(held)}});
  }

  // Confirmation turns the reservation into a stock decrement.
  void commit_reservation(const Order& o) {
    for (const auto& [id, n] : catalog_quantities(o.items)) {
      auto& p = product(id);
      p.reserved -= n;
      p.stock -= n;
    }
  }

  // What an order holds depends on its status: pending holds a reservation, confirmed holds
  // decremented stock (not yet shipped); later or failed states hold nothing.
  void release_held(const Order& o) {
    if (o.status == OrderStatus::pending) {
      release_reservation(o);
    } else if (o.status == OrderStatus::confirmed) {
      const auto held = catalog_quantities(o.items);
      if (held.empty()) return;
      for (const auto& [id, n] : held)
        if (s_.products.count(id)) product(id).stock += n;
      event(o.order_id, "inventory.released", now_, {{"items", quantities_json(held)}});
    }
  }

  BatchState& s_;
  const ProcessingRules& rules_;
  std::int64_t now_;
};

}  // namespace

void apply_message(BatchState& state, const OrderMessage& message, const ProcessingRules& rules,
                   std::int64_t now) {
  std::visit(Applier{state, rules, now}, message);
}

BatchOutcome apply_all(const BatchState& snapshot, const std::vector<OrderMessage>& messages,
                       const ProcessingRules& rules, std::int64_t now) {
  BatchOutcome out;
  std::vector<bool> skip(messages.size(), false);
  for (bool rerun = true; rerun;) {
    rerun = false;
    out.state = snapshot;
    for (std::size_t i = 0; i < messages.size(); ++i) {
      if (skip[i]) continue;
      try {
        apply_message(out.state, messages[i], rules, now);
      } catch (const std::exception& e) {
        skip[i] = true;
        out.failed.emplace_back(i, e.what());
        rerun = true;
        break;
      }
    }
  }
  return out;
}

}  // namespace orderflow::domain
