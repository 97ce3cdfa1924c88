#include "backends/sqlite/sqlite_orders.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include "backends/sql/rows.hpp"
#include "backends/sql/sql_text.hpp"
#include "backends/sqlite/sqlite_schema.hpp"
#include "base/time.hpp"

namespace orderflow::backends {

namespace asio = boost::asio;
namespace json = boost::json;
using domain::Order;
using sqlite::Connection;

namespace {

const SqlFiles& sql = sqlite_sql();

std::optional<Order> load_order(Connection& c, const std::string& id) {
  auto cur = c.query(sql["find_order"], id);
  if (!cur.next()) return std::nullopt;
  return order_from_row(cur);
}

void save_order(Connection& c, const Order& o) {
  c.exec(sql["save_order"], o.order_id, std::string(domain::to_string(o.status)), o.customer_id,
         o.customer_name, o.customer_email, o.currency,
         json::serialize(domain::lines_to_storage_json(o.items)), o.subtotal, o.tax, o.total,
         o.failure_reason, o.session_id, o.payment_method, json::serialize(o.shipping_address),
         o.created_at, o.updated_at, o.processed_at, o.version);
}

struct Decoded {
  queue::Message message;
  domain::OrderMessage body;
};

// Loads everything the batch reads, inside the write transaction.
domain::BatchState load_state(Connection& c, const std::vector<Decoded>& batch) {
  domain::BatchState s;
  std::vector<domain::OrderMessage> bodies;
  for (const auto& d : batch) {
    const auto& id = domain::message_order_id(d.body);
    if (!s.orders.count(id)) s.orders.emplace(id, load_order(c, id));
    bodies.push_back(d.body);
  }
  for (const auto& pid : domain::products_needed(bodies, s)) {
    auto cur = c.query(sql["product_stock"], pid);
    if (cur.next())
      s.products.emplace(pid, domain::Product{cur.text("product_id"), cur.text("sku"),
                                              cur.text("name"), cur.integer("price"),
                                              cur.integer("stock"), cur.integer("reserved")});
  }
  return s;
}

void write_state(Connection& c, const domain::BatchState& s) {
  for (const auto& id : s.changed_orders) {
    const auto& o = s.orders.at(id);
    if (o)
      save_order(c, *o);
    else
      c.exec(sql["delete_order"], id);
  }
  for (const auto& id : s.changed_products) {
    const auto& p = s.products.at(id);
    c.exec(sql["update_product_stock"], id, p.stock, p.reserved, now_ms());
  }
  std::map<std::string, std::int64_t> next_seq;
  for (const auto& e : s.events) {
    auto [it, fresh] = next_seq.try_emplace(e.order_id, 0);
    if (fresh) {
      auto cur = c.query(sql["last_event_seq"], e.order_id);
      cur.next();
      it->second = cur.integer(0);
    }
    c.exec(sql["insert_event"], e.order_id, ++it->second, e.type, e.at, json::serialize(e.data));
  }
  for (const auto& [id, state] : s.intake_updates)
    c.exec(sql["set_intake_state"], id, std::string(intake_state_name(state)));
}

}  // namespace

asio::awaitable<ports::AcceptResult> SqliteOrders::accept(ports::AcceptRequest req) {
  auto result = co_await db_.write<ports::AcceptResult>([&](Connection& c) {
    // Expired Idempotency-Keys no longer bind (the order itself stays).
    if (req.idempotency_key)
      c.exec(sql["release_expired_key"], *req.idempotency_key,
             req.accepted_at - req.idempotency_window_ms);
    const auto record = [&](const std::string& sql, const std::string& value) {
      std::optional<ports::IntakeRecord> out;
      auto cur = c.query(sql, value);
      if (cur.next())
        out = ports::IntakeRecord{cur.text("order_id"), cur.text("request_hash"),
                                  cur.text("message_id"), cur.integer("created_at")};
      return out;
    };
    const auto by_key =
        req.idempotency_key ? record(sql["intake_by_key"], *req.idempotency_key) : std::nullopt;
    const auto by_id =
        req.client_order_id ? record(sql["intake_by_id"], req.order_id) : std::nullopt;
    if (auto bound = ports::decide_intake(req, by_key, by_id)) return *bound;
    const auto sent = queue_.send_in(c, req.message, req.accepted_at);
    c.exec(sql["insert_intake"], req.order_id, req.idempotency_key, req.request_hash,
           req.request_json, sent.message_id, req.accepted_at);
    return ports::AcceptResult{ports::AcceptOutcome::created, req.order_id, sent.message_id,
                               req.accepted_at};
  });
  if (result.outcome == ports::AcceptOutcome::created) queue_.notify_sent();
  co_return result;
}

asio::awaitable<std::optional<ports::KeyBinding>> SqliteOrders::find_key_binding(
    std::string key, std::int64_t since) {
  co_return co_await db_.read<std::optional<ports::KeyBinding>>([&](Connection& c) {
    std::optional<ports::KeyBinding> out;
    auto cur = c.query(sql["key_binding"], key, since);
    if (cur.next())
      out = ports::KeyBinding{
          {ports::AcceptOutcome::replayed, cur.text("order_id"), cur.text("message_id"),
           cur.integer("created_at")},
          domain::order_request_from_message(json::parse(cur.text("request")).as_object())};
    return out;
  });
}

asio::awaitable<ports::OrderLookup> SqliteOrders::find_order(std::string order_id) {
  co_return co_await db_.read<ports::OrderLookup>([&](Connection& c) {
    ports::OrderLookup out;
    out.order = load_order(c, order_id);
    if (out.order) return out;
    auto cur = c.query(sql["queued_request"], order_id);
    if (cur.next())
      out.queued = ports::QueuedOrder{
          domain::order_request_from_message(json::parse(cur.text("request")).as_object()),
          cur.integer("created_at")};
    return out;
  });
}

asio::awaitable<ports::OrderPage> SqliteOrders::list_orders(ports::OrderFilter f) {
  co_return co_await db_.read<ports::OrderPage>([&](Connection& c) {
    // Only the filters given enter the SQL, so that SQLite can use the matching index; the
    // parameter numbers stay fixed, so every variant is one cached prepared statement.
    std::string where;
    if (f.status) where += " AND status=?1";
    if (f.customer_id) where += " AND customer_id=?2";
    if (f.customer_email) where += " AND customer_email=?3";
    if (f.session_id) where += " AND session_id=?4";
    if (f.created_after) where += " AND created_at>=?5";
    if (f.created_before) where += " AND created_at<=?6";
    ports::OrderPage page;
    if (f.with_total) {
      auto cur = c.query(sql["count_orders"] + where, f.status, f.customer_id, f.customer_email,
                         f.session_id, f.created_after, f.created_before);
      cur.next();
      page.total = cur.integer(0);
    }
    // Keyset: after the cursor's order in the list's order (created_at, then order_id).
    if (f.after)
      where += f.oldest_first ? " AND created_at>=?9 AND (created_at>?9 OR order_id>?10)"
                              : " AND created_at<=?9 AND (created_at<?9 OR order_id<?10)";
    auto cur = c.query(sql["list_orders"] + where + " ORDER BY created_at " +
                           (f.oldest_first ? "ASC, order_id ASC" : "DESC, order_id DESC") +
                           " LIMIT ?7 OFFSET ?8",
                       f.status, f.customer_id, f.customer_email, f.session_id, f.created_after,
                       f.created_before, f.limit + 1, f.after ? 0 : (f.page - 1) * f.limit,
                       f.after ? std::optional(f.after->created_at) : std::nullopt,
                       f.after ? std::optional(f.after->order_id) : std::nullopt);
    while (cur.next()) page.data.push_back(order_from_row(cur));
    page.keep_page(f.limit);
    return page;
  });
}

asio::awaitable<std::optional<std::vector<ports::StoredEvent>>> SqliteOrders::order_events(
    std::string order_id) {
  co_return co_await db_.read<std::optional<
      std::vector<ports::StoredEvent>>>([&](Connection& c)
                                            -> std::optional<std::vector<ports::StoredEvent>> {
    std::vector<ports::StoredEvent> events;
    auto cur = c.query(sql["order_events"], order_id);
    while (cur.next())
      events.push_back({cur.integer("seq"), cur.text("type"), cur.integer("at"), cur.text("data")});
    if (!events.empty()) return events;
    auto known = c.query(sql["intake_exists"], order_id);
    if (known.next()) return events;
    return std::nullopt;
  });
}

asio::awaitable<ports::OrderTotals> SqliteOrders::order_totals() {
  co_return co_await db_.read<ports::OrderTotals>([&](Connection& c) {
    ports::OrderTotals t;
    auto cur = c.query(sql["order_totals"]);
    while (cur.next()) {
      const auto status = cur.text("status");
      t.by_status[status] = cur.integer("orders");
      t.total += cur.integer("orders");
      if (status == "confirmed" || status == "shipped" || status == "delivered")
        t.revenue += cur.integer("total");
    }
    return t;
  });
}

asio::awaitable<ports::BatchResult> SqliteOrders::apply_batch(
    std::vector<queue::Message> batch, const domain::ProcessingRules& rules) {
  co_return co_await db_.write<ports::BatchResult>([&](Connection& c) {
    ports::BatchResult result;
    const auto now = now_ms();
    std::vector<Decoded> work;
    for (auto& m : batch) {
      if (!queue_.is_current_in(c, m)) {
        result.stale.push_back(m.message_id);
        continue;
      }
      try {
        auto body = domain::decode_message(m.body);
        work.push_back({std::move(m), std::move(body)});
      } catch (const std::exception& e) {
        queue_.fail_in(c, m, e.what(), now);
        result.failed.emplace_back(m.message_id, e.what());
      }
    }
    std::vector<domain::OrderMessage> bodies;
    for (const auto& d : work) bodies.push_back(d.body);
    auto outcome = domain::apply_all(load_state(c, work), bodies, rules, now);
    auto& state = outcome.state;
    std::vector<bool> applied(work.size(), true);
    for (const auto& [i, error] : outcome.failed) {
      applied[i] = false;
      queue_.fail_in(c, work[i].message, error, now);
      result.failed.emplace_back(work[i].message.message_id, error);
    }
    write_state(c, state);
    for (std::size_t i = 0; i < work.size(); ++i) {
      if (!applied[i]) continue;
      queue_.remove_in(c, work[i].message);
      result.applied.push_back(work[i].message.message_id);
    }
    ports::record_outcome(result, state, bodies, applied);
    return result;
  });
}

asio::awaitable<void> SqliteOrders::ping() {
  // Through the writer: accepting orders needs the write lock, so that is what is checked.
  co_await db_.write<int>([](Connection& c) {
    auto cur = c.query(sql["ping"]);
    cur.next();
    return 1;
  });
}

}  // namespace orderflow::backends
