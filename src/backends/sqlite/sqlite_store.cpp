#include "backends/sqlite/sqlite_store.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include <cctype>

#include "backends/sql/sql_text.hpp"
#include "base/ids.hpp"
#include "base/time.hpp"

namespace orderflow::store {

namespace asio = boost::asio;
namespace json = boost::json;
using domain::Order;
using sqlite::Connection;
using sqlite::Cursor;

namespace {

Order order_from_row(const Cursor& r) {
  Order o;
  o.order_id = r.text(0);
  o.status = domain::parse_status(r.text(1)).value_or(domain::OrderStatus::pending);
  o.customer_id = r.optional_text(2);
  o.customer_name = r.optional_text(3);
  o.customer_email = r.optional_text(4);
  o.currency = r.text(5);
  o.items = domain::lines_from_storage_json(json::parse(r.text(6)).as_array());
  o.subtotal = r.integer(7);
  o.tax = r.integer(8);
  o.total = r.integer(9);
  o.failure_reason = r.optional_text(10);
  o.session_id = r.optional_text(11);
  o.payment_method = r.text(12);
  o.shipping_address = json::parse(r.text(13));
  o.created_at = r.integer(14);
  o.updated_at = r.integer(15);
  o.processed_at = r.optional_integer(16);
  o.version = r.integer(17);
  return o;
}

std::optional<Order> load_order(Connection& c, const std::string& id) {
  auto cur = c.query(std::string("SELECT ") + kOrderColumns + " FROM orders WHERE order_id=?1", id);
  if (!cur.next()) return std::nullopt;
  return order_from_row(cur);
}

void save_order(Connection& c, const Order& o) {
  c.exec(std::string("INSERT OR REPLACE INTO orders(") + kOrderColumns +
             ") VALUES (?1,?2,?3,?4,?5,?6,?7,?8,?9,?10,?11,?12,?13,?14,?15,?16,?17,?18)",
         o.order_id, std::string(domain::to_string(o.status)), o.customer_id, o.customer_name,
         o.customer_email, o.currency, json::serialize(domain::lines_to_storage_json(o.items)),
         o.subtotal, o.tax, o.total, o.failure_reason, o.session_id, o.payment_method,
         json::serialize(o.shipping_address), o.created_at, o.updated_at, o.processed_at,
         o.version);
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
    auto cur = c.query(
        "SELECT product_id, sku, name, price, stock, reserved FROM products WHERE product_id=?1",
        pid);
    if (cur.next())
      s.products.emplace(pid, domain::Product{cur.text(0), cur.text(1), cur.text(2), cur.integer(3),
                                              cur.integer(4), cur.integer(5)});
  }
  return s;
}

void write_state(Connection& c, const domain::BatchState& s) {
  for (const auto& id : s.changed_orders) {
    const auto& o = s.orders.at(id);
    if (o)
      save_order(c, *o);
    else
      c.exec("DELETE FROM orders WHERE order_id=?1", id);
  }
  for (const auto& id : s.changed_products) {
    const auto& p = s.products.at(id);
    c.exec("UPDATE products SET stock=?2, reserved=?3, updated_at=?4 WHERE product_id=?1", id,
           p.stock, p.reserved, now_ms());
  }
  std::map<std::string, std::int64_t> next_seq;
  for (const auto& e : s.events) {
    auto [it, fresh] = next_seq.try_emplace(e.order_id, 0);
    if (fresh) {
      auto cur =
          c.query("SELECT COALESCE(MAX(seq),0) FROM order_events WHERE order_id=?1", e.order_id);
      cur.next();
      it->second = cur.integer(0);
    }
    c.exec("INSERT INTO order_events(order_id, seq, type, at, data) VALUES (?1,?2,?3,?4,?5)",
           e.order_id, ++it->second, e.type, e.at, json::serialize(e.data));
  }
  for (const auto& [id, state] : s.intake_updates)
    c.exec("UPDATE order_intake SET state=?2 WHERE order_id=?1", id,
           std::string(intake_state_name(state)));
}

domain::CatalogProduct product_from_row(const Cursor& r) {
  return {r.text(0), r.text(1),    r.text(2),    r.text(3),    r.integer(4), r.text(5),
          r.text(6), r.integer(7), r.integer(8), r.integer(9), r.integer(10)};
}

std::optional<domain::CatalogProduct> load_product(Connection& c, const std::string& id) {
  auto cur = c.query(std::string(kProductSelect) + " WHERE p.product_id=?1", id);
  if (!cur.next()) return std::nullopt;
  return product_from_row(cur);
}

bool category_exists(Connection& c, const std::string& slug) {
  return c.query("SELECT 1 FROM categories WHERE slug=?1", slug).next();
}

}  // namespace

asio::awaitable<AcceptResult> SqliteStore::accept_order(AcceptRequest req) {
  auto result = co_await db_.write<AcceptResult>([&](Connection& c) {
    // Expired Idempotency-Keys no longer bind (the order itself stays).
    if (req.idempotency_key)
      c.exec(
          "UPDATE order_intake SET idempotency_key=NULL WHERE idempotency_key=?1 AND "
          "created_at<=?2",
          *req.idempotency_key, req.accepted_at - req.idempotency_window_ms);
    const auto replay_or = [&](Cursor& cur, AcceptOutcome conflict) {
      AcceptResult r;
      r.order_id = cur.text(0);
      r.message_id = cur.text(2);
      r.created_at = cur.integer(3);
      r.outcome = cur.text(1) == req.request_hash ? AcceptOutcome::replayed : conflict;
      return r;
    };
    if (req.idempotency_key) {
      auto cur = c.query(
          "SELECT order_id, request_hash, message_id, created_at FROM order_intake "
          "WHERE idempotency_key=?1",
          *req.idempotency_key);
      if (cur.next()) return replay_or(cur, AcceptOutcome::idempotency_conflict);
    }
    if (req.client_order_id) {
      auto cur = c.query(
          "SELECT order_id, request_hash, message_id, created_at FROM order_intake "
          "WHERE order_id=?1",
          req.order_id);
      if (cur.next()) {
        // A repeat of the same request within the window replays; anything else is a conflict.
        const bool in_window = cur.integer(3) > req.accepted_at - req.idempotency_window_ms;
        auto r = replay_or(cur, AcceptOutcome::order_id_conflict);
        if (req.idempotency_key || !in_window) r.outcome = AcceptOutcome::order_id_conflict;
        return r;
      }
    }
    const auto sent = queue_.send_in(c, req.message, req.accepted_at);
    c.exec(
        "INSERT INTO order_intake(order_id, idempotency_key, request_hash, request, message_id, "
        "created_at) VALUES (?1,?2,?3,?4,?5,?6)",
        req.order_id, req.idempotency_key, req.request_hash, req.request_json, sent.message_id,
        req.accepted_at);
    return AcceptResult{AcceptOutcome::created, req.order_id, sent.message_id, req.accepted_at};
  });
  if (result.outcome == AcceptOutcome::created) queue_.notify_sent();
  co_return result;
}

asio::awaitable<std::optional<KeyBinding>> SqliteStore::find_key_binding(std::string key,
                                                                         std::int64_t since) {
  co_return co_await db_.read<std::optional<KeyBinding>>([&](Connection& c) {
    std::optional<KeyBinding> out;
    auto cur = c.query(
        "SELECT order_id, message_id, created_at, request FROM order_intake "
        "WHERE idempotency_key=?1 AND created_at>?2",
        key, since);
    if (cur.next())
      out = KeyBinding{{AcceptOutcome::replayed, cur.text(0), cur.text(1), cur.integer(2)},
                       domain::order_request_from_message(json::parse(cur.text(3)).as_object())};
    return out;
  });
}

asio::awaitable<OrderLookup> SqliteStore::find_order(std::string order_id) {
  co_return co_await db_.read<OrderLookup>([&](Connection& c) {
    OrderLookup out;
    out.order = load_order(c, order_id);
    if (out.order) return out;
    auto cur =
        c.query("SELECT request, created_at FROM order_intake WHERE order_id=?1 AND state='queued'",
                order_id);
    if (cur.next())
      out.queued = QueuedOrder{
          domain::order_request_from_message(json::parse(cur.text(0)).as_object()), cur.integer(1)};
    return out;
  });
}

asio::awaitable<Page<Order>> SqliteStore::list_orders(OrderFilter f) {
  co_return co_await db_.read<Page<Order>>([&](Connection& c) {
    // Only the filters given enter the SQL, so that SQLite can use the matching index; the
    // parameter numbers stay fixed, so every variant is one cached prepared statement.
    std::string where = " FROM orders WHERE 1=1";
    if (f.status) where += " AND status=?1";
    if (f.customer_id) where += " AND customer_id=?2";
    if (f.customer_email) where += " AND customer_email=?3";
    if (f.session_id) where += " AND session_id=?4";
    if (f.created_after) where += " AND created_at>=?5";
    if (f.created_before) where += " AND created_at<=?6";
    Page<Order> page;
    {
      auto cur = c.query("SELECT COUNT(*)" + where, f.status, f.customer_id, f.customer_email,
                         f.session_id, f.created_after, f.created_before);
      cur.next();
      page.total = cur.integer(0);
    }
    auto cur = c.query(std::string("SELECT ") + kOrderColumns + where + " ORDER BY created_at " +
                           (f.oldest_first ? "ASC, order_id ASC" : "DESC, order_id DESC") +
                           " LIMIT ?7 OFFSET ?8",
                       f.status, f.customer_id, f.customer_email, f.session_id, f.created_after,
                       f.created_before, f.limit, (f.page - 1) * f.limit);
    while (cur.next()) page.data.push_back(order_from_row(cur));
    return page;
  });
}

asio::awaitable<std::optional<std::vector<StoredEvent>>> SqliteStore::order_events(
    std::string order_id) {
  co_return co_await db_.read<std::optional<std::vector<StoredEvent>>>(
      [&](Connection& c) -> std::optional<std::vector<StoredEvent>> {
        std::vector<StoredEvent> events;
        auto cur =
            c.query("SELECT seq, type, at, data FROM order_events WHERE order_id=?1 ORDER BY seq",
                    order_id);
        while (cur.next())
          events.push_back({cur.integer(0), cur.text(1), cur.integer(2), cur.text(3)});
        if (!events.empty()) return events;
        auto known = c.query("SELECT 1 FROM order_intake WHERE order_id=?1", order_id);
        if (known.next()) return events;
        return std::nullopt;
      });
}

asio::awaitable<OrderTotals> SqliteStore::order_totals() {
  co_return co_await db_.read<OrderTotals>([&](Connection& c) {
    OrderTotals t;
    auto cur =
        c.query("SELECT status, COUNT(*), COALESCE(SUM(total),0) FROM orders GROUP BY status");
    while (cur.next()) {
      const auto status = cur.text(0);
      t.by_status[status] = cur.integer(1);
      t.total += cur.integer(1);
      if (status == "confirmed" || status == "shipped" || status == "delivered")
        t.revenue += cur.integer(2);
    }
    return t;
  });
}

asio::awaitable<BatchResult> SqliteStore::apply_batch(std::vector<queue::Message> batch,
                                                      const domain::ProcessingRules& rules) {
  co_return co_await db_.write<BatchResult>([&](Connection& c) {
    BatchResult result;
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
    record_outcome(result, state, bodies, applied);
    return result;
  });
}

asio::awaitable<void> SqliteStore::ping() {
  // Through the writer: accepting orders needs the write lock, so that is what is checked.
  co_await db_.write<int>([](Connection& c) {
    auto cur = c.query("SELECT 1");
    cur.next();
    return 1;
  });
}

asio::awaitable<std::vector<domain::Category>> SqliteStore::list_categories() {
  co_return co_await db_.read<std::vector<domain::Category>>([](Connection& c) {
    std::vector<domain::Category> out;
    auto cur = c.query(
        "SELECT c.slug, c.name, COUNT(p.product_id) FROM categories c "
        "LEFT JOIN products p ON p.category = c.slug GROUP BY c.slug ORDER BY c.name, c.slug");
    while (cur.next()) out.push_back({cur.text(0), cur.text(1), cur.integer(2)});
    return out;
  });
}

asio::awaitable<bool> SqliteStore::create_category(domain::Category cat) {
  co_return co_await db_.write<bool>([&](Connection& c) {
    return c.exec("INSERT OR IGNORE INTO categories(slug, name, created_at) VALUES (?1,?2,?3)",
                  cat.slug, cat.name, now_ms()) == 1;
  });
}

asio::awaitable<Page<domain::CatalogProduct>> SqliteStore::list_products(ProductFilter f) {
  co_return co_await db_.read<Page<domain::CatalogProduct>>([&](Connection& c) {
    // As for orders: only the filters given enter the SQL; parameter numbers are fixed.
    std::string where = " WHERE 1=1";
    if (f.category) where += " AND p.category=?1";
    if (f.q)
      where += " AND (lower(p.name) LIKE ?2 ESCAPE '\\' OR lower(p.sku) LIKE ?2 ESCAPE '\\')";
    if (f.min_price) where += " AND p.price>=?3";
    if (f.max_price) where += " AND p.price<=?4";
    if (f.in_stock) where += " AND p.stock - p.reserved > 0";
    const std::optional<std::string> pattern =
        f.q ? std::optional<std::string>(like_pattern(*f.q)) : std::nullopt;
    Page<domain::CatalogProduct> page;
    {
      auto cur = c.query("SELECT COUNT(*) FROM products p" + where, f.category, pattern,
                         f.min_price, f.max_price);
      cur.next();
      page.total = cur.integer(0);
    }
    std::string order = "p.name COLLATE NOCASE ASC";
    if (f.sort == "-name") order = "p.name COLLATE NOCASE DESC";
    if (f.sort == "price") order = "p.price ASC";
    if (f.sort == "-price") order = "p.price DESC";
    if (f.sort == "-created_at") order = "p.created_at DESC";
    auto cur =
        c.query(std::string(kProductSelect) + where + " ORDER BY " + order +
                    ", p.product_id LIMIT ?5 OFFSET ?6",
                f.category, pattern, f.min_price, f.max_price, f.limit, (f.page - 1) * f.limit);
    while (cur.next()) page.data.push_back(product_from_row(cur));
    return page;
  });
}

asio::awaitable<std::vector<domain::CatalogProduct>> SqliteStore::find_products(
    std::vector<std::string> ids) {
  co_return co_await db_.read<std::vector<domain::CatalogProduct>>([&](Connection& c) {
    std::vector<domain::CatalogProduct> out;
    for (const auto& id : ids)
      if (auto p = load_product(c, id)) out.push_back(std::move(*p));
    return out;
  });
}

asio::awaitable<ProductWrite> SqliteStore::create_product(domain::ProductFields f) {
  co_return co_await db_.write<ProductWrite>([&](Connection& c) -> ProductWrite {
    const auto id = f.product_id.value_or(uuid_v7());
    if (c.query("SELECT 1 FROM products WHERE product_id=?1 OR sku=?2", id, *f.sku).next())
      return {WriteOutcome::duplicate, std::nullopt};
    if (!category_exists(c, *f.category)) return {WriteOutcome::unknown_category, std::nullopt};
    const auto now = now_ms();
    c.exec(
        "INSERT INTO products(product_id, sku, name, description, price, category, stock, "
        "reserved, created_at, updated_at) VALUES (?1,?2,?3,?4,?5,?6,?7,0,?8,?8)",
        id, *f.sku, *f.name, f.description.value_or(""), *f.price, *f.category, *f.stock, now);
    return {WriteOutcome::ok, load_product(c, id)};
  });
}

asio::awaitable<ProductWrite> SqliteStore::update_product(std::string id, domain::ProductFields f) {
  co_return co_await db_.write<ProductWrite>([&](Connection& c) -> ProductWrite {
    auto p = load_product(c, id);
    if (!p) return {WriteOutcome::not_found, std::nullopt};
    if (f.sku && *f.sku != p->sku && c.query("SELECT 1 FROM products WHERE sku=?1", *f.sku).next())
      return {WriteOutcome::duplicate, std::nullopt};
    if (f.category && !category_exists(c, *f.category))
      return {WriteOutcome::unknown_category, std::nullopt};
    if (f.stock && *f.stock < p->reserved) return {WriteOutcome::below_reserved, std::nullopt};
    c.exec(
        "UPDATE products SET sku=?2, name=?3, description=?4, price=?5, category=?6, stock=?7, "
        "updated_at=?8 WHERE product_id=?1",
        id, f.sku.value_or(p->sku), f.name.value_or(p->name),
        f.description.value_or(p->description), f.price.value_or(p->price),
        f.category.value_or(p->category_slug), f.stock.value_or(p->stock), now_ms());
    return {WriteOutcome::ok, load_product(c, id)};
  });
}

asio::awaitable<ProductWrite> SqliteStore::change_inventory(std::string id,
                                                            domain::InventoryChange change) {
  co_return co_await db_.write<ProductWrite>([&](Connection& c) -> ProductWrite {
    auto p = load_product(c, id);
    if (!p) return {WriteOutcome::not_found, std::nullopt};
    const auto [stock, verdict] = domain::apply_inventory_change(p->stock, p->reserved, change);
    if (verdict == domain::InventoryVerdict::negative) return {WriteOutcome::negative, p};
    if (verdict == domain::InventoryVerdict::below_reserved)
      return {WriteOutcome::below_reserved, p};
    c.exec("UPDATE products SET stock=?2, updated_at=?3 WHERE product_id=?1", id, stock, now_ms());
    return {WriteOutcome::ok, load_product(c, id)};
  });
}

asio::awaitable<bool> SqliteStore::delete_product(std::string id) {
  co_return co_await db_.write<bool>(
      [&](Connection& c) { return c.exec("DELETE FROM products WHERE product_id=?1", id) > 0; });
}

asio::awaitable<bool> SqliteStore::load_demo_catalog(domain::DemoCatalog demo) {
  co_return co_await db_.write<bool>([&](Connection& c) {
    auto cur =
        c.query("SELECT (SELECT COUNT(*) FROM products) + (SELECT COUNT(*) FROM categories)");
    cur.next();
    if (cur.integer(0) > 0) return false;
    const auto now = now_ms();
    for (const auto& cat : demo.categories)
      c.exec("INSERT INTO categories(slug, name, created_at) VALUES (?1,?2,?3)", cat.slug, cat.name,
             now);
    for (const auto& p : demo.products)
      c.exec(
          "INSERT INTO products(product_id, sku, name, description, price, category, stock, "
          "reserved, created_at, updated_at) VALUES (?1,?2,?3,?4,?5,?6,?7,0,?8,?8)",
          p.product_id, p.sku, p.name, p.description, p.price, p.category_slug, p.stock, now);
    return true;
  });
}

namespace {
StoredCart load_cart(Connection& c, const std::string& session, std::int64_t expired_before) {
  StoredCart cart;
  {
    auto cur = c.query("SELECT updated_at FROM carts WHERE session_id=?1", session);
    if (!cur.next() || cur.integer(0) <= expired_before) return cart;
    cart.updated_at = cur.integer(0);
  }
  auto cur = c.query(
      "SELECT product_id, quantity FROM cart_items WHERE session_id=?1 ORDER BY added_at, "
      "product_id",
      session);
  while (cur.next()) cart.lines.push_back({cur.text(0), cur.integer(1)});
  return cart;
}
}  // namespace

asio::awaitable<StoredCart> SqliteCartStore::get(std::string session) {
  co_return co_await db_.read<StoredCart>(
      [&](Connection& c) { return load_cart(c, session, now_ms() - ttl_.count()); });
}

asio::awaitable<StoredCart> SqliteCartStore::set_quantity(std::string session,
                                                          std::string product_id,
                                                          std::int64_t quantity) {
  co_return co_await db_.write<StoredCart>([&](Connection& c) {
    const auto now = now_ms();
    // An expired cart that was not cleaned up yet starts over empty.
    c.exec("DELETE FROM carts WHERE session_id=?1 AND updated_at<=?2", session, now - ttl_.count());
    c.exec(
        "INSERT INTO carts(session_id, updated_at) VALUES (?1,?2) "
        "ON CONFLICT(session_id) DO UPDATE SET updated_at=?2",
        session, now);
    if (quantity <= 0)
      c.exec("DELETE FROM cart_items WHERE session_id=?1 AND product_id=?2", session, product_id);
    else
      c.exec(
          "INSERT INTO cart_items(session_id, product_id, quantity, added_at) VALUES (?1,?2,?3,?4) "
          "ON CONFLICT(session_id, product_id) DO UPDATE SET quantity=?3",
          session, product_id, quantity, now);
    return load_cart(c, session, now - ttl_.count());
  });
}

asio::awaitable<void> SqliteCartStore::clear(std::string session) {
  co_await db_.write<int>([&](Connection& c) {
    c.exec("DELETE FROM carts WHERE session_id=?1", session);
    return 0;
  });
}

asio::awaitable<std::int64_t> SqliteCartStore::remove_expired() {
  co_return co_await db_.write<std::int64_t>([&](Connection& c) {
    return c.exec("DELETE FROM carts WHERE updated_at<=?1", now_ms() - ttl_.count());
  });
}

}  // namespace orderflow::store
