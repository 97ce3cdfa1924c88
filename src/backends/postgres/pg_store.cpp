#include "backends/postgres/pg_store.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include <algorithm>
#include <set>

#include "backends/postgres/pg_rows.hpp"
#include "backends/sql/sql_text.hpp"
#include "base/ids.hpp"
#include "base/time.hpp"

namespace orderflow::store {

namespace asio = boost::asio;
namespace json = boost::json;
using domain::Order;
using pg::Params;
using pg::Result;
using pg::Statement;

namespace {

std::string num(std::int64_t n) {
  return std::to_string(n);
}
std::optional<std::string> num(std::optional<std::int64_t> n) {
  return n ? std::optional<std::string>(std::to_string(*n)) : std::nullopt;
}
Statement plain(std::string sql) {
  return {std::move(sql), {}, false};
}

Statement upsert_order(const Order& o) {
  static const std::string sql = [] {
    std::string set;
    for (const auto* c :
         {"status", "customer_id", "customer_name", "customer_email", "currency", "items",
          "subtotal", "tax", "total", "failure_reason", "session_id", "payment_method",
          "shipping_address", "created_at", "updated_at", "processed_at", "version"})
      set += std::string(set.empty() ? "" : ", ") + c + " = EXCLUDED." + c;
    return std::string("INSERT INTO orders(") + kOrderColumns +
           ") VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13,$14,$15,$16,$17,$18) "
           "ON CONFLICT (order_id) DO UPDATE SET " +
           set;
  }();
  return {sql,
          {o.order_id, std::string(domain::to_string(o.status)), o.customer_id, o.customer_name,
           o.customer_email, o.currency, json::serialize(domain::lines_to_storage_json(o.items)),
           num(o.subtotal), num(o.tax), num(o.total), o.failure_reason, o.session_id,
           o.payment_method, json::serialize(o.shipping_address), num(o.created_at),
           num(o.updated_at), num(o.processed_at), num(o.version)}};
}

// Runs `body` inside BEGIN … COMMIT on a leased connection; rolls back when it throws. A
// transaction that PostgreSQL aborted as a deadlock victim or a serialisation failure is run
// again (its body reads everything it needs inside the transaction), a few times.
template <typename T, typename Body>
asio::awaitable<T> in_transaction(pg::Pool& pool, Body body) {
  constexpr int kAttempts = 4;
  for (int attempt = 1;; ++attempt) {
    auto lease = co_await pool.lease();
    std::vector<Statement> begin;
    begin.push_back(plain("BEGIN"));
    co_await lease.execute(std::move(begin));
    std::exception_ptr failed;
    bool retry = false;
    std::optional<T> out;
    try {
      out.emplace(co_await body(lease));
      std::vector<Statement> commit;
      commit.push_back(plain("COMMIT"));
      co_await lease.execute(std::move(commit));
    } catch (const pg::QueryError& e) {
      failed = std::current_exception();
      retry = (e.sqlstate() == "40P01" || e.sqlstate() == "40001") && attempt < kAttempts;
    } catch (...) {
      failed = std::current_exception();
    }
    if (!failed) co_return std::move(*out);
    try {
      std::vector<Statement> rollback;
      rollback.push_back(plain("ROLLBACK"));
      co_await lease.execute(std::move(rollback));
    } catch (const std::exception&) {
      // A broken connection rolls back by itself.
    }
    if (!retry) std::rethrow_exception(failed);
  }
}

}  // namespace

PgStore::~PgStore() = default;

asio::awaitable<AcceptResult> PgStore::accept_order(AcceptRequest req) {
  if (!queue_) throw std::logic_error("accepts go through the queue's own intake");
  // Look first; create when nothing binds. A concurrent twin that created in between shows up
  // as a unique violation: look again, and it replays.
  for (int attempt = 0; attempt < 3; ++attempt) {
    std::vector<Statement> look;
    if (req.idempotency_key) {
      look.push_back(
          {"UPDATE order_intake SET idempotency_key = NULL WHERE idempotency_key = $1 "
           "AND created_at <= $2",
           {*req.idempotency_key, num(req.accepted_at - req.idempotency_window_ms)}});
      look.push_back(
          {"SELECT order_id, request_hash, message_id, created_at FROM order_intake "
           "WHERE idempotency_key = $1",
           {*req.idempotency_key}});
    }
    if (req.client_order_id)
      look.push_back(
          {"SELECT order_id, request_hash, message_id, created_at FROM order_intake "
           "WHERE order_id = $1",
           {req.order_id}});
    // Not a conditional expression: GCC 12 miscompiles co_await inside one.
    std::vector<Result> found;
    if (!look.empty()) found = co_await pool_.execute(std::move(look));
    const auto replay_or = [&](const Row& r, AcceptOutcome conflict) {
      return AcceptResult{*r[1] == req.request_hash ? AcceptOutcome::replayed : conflict, *r[0],
                          *r[2], int_of(r[3])};
    };
    std::size_t next = 0;
    if (req.idempotency_key) {
      const auto& by_key = found.at(1);
      next = 2;
      if (!by_key.rows.empty())
        co_return replay_or(by_key.rows[0], AcceptOutcome::idempotency_conflict);
    }
    if (req.client_order_id && !found.at(next).rows.empty()) {
      const auto& row = found.at(next).rows[0];
      auto r = replay_or(row, AcceptOutcome::order_id_conflict);
      const bool in_window = int_of(row[3]) > req.accepted_at - req.idempotency_window_ms;
      if (req.idempotency_key || !in_window) r.outcome = AcceptOutcome::order_id_conflict;
      co_return r;
    }
    std::vector<Statement> create;
    create.push_back(queue_->send_statement(req.message, req.accepted_at));
    create.push_back(
        {"INSERT INTO order_intake(order_id, idempotency_key, request_hash, request, "
         "message_id, created_at) SELECT $1, $2, $3, $4, message_id, $5 FROM "
         "queue_dedup WHERE queue_name = $6 AND dedup_id = $7",
         {req.order_id, req.idempotency_key, req.request_hash, req.request_json,
          num(req.accepted_at), queue_->name(),
          req.message.dedup_id.value_or(sha256_hex(req.message.body))}});
    create.push_back({"SELECT pg_notify($1, '')", {queue_->channel()}});
    try {
      const auto r = co_await accepts_.execute(std::move(create));
      queue_->notify_sent();
      co_return AcceptResult{AcceptOutcome::created, req.order_id,
                             r.at(0).at(0, "message_id").value_or(""), req.accepted_at};
    } catch (const pg::QueryError& e) {
      if (e.sqlstate() != "23505") throw;
    }
  }
  throw std::runtime_error("order intake kept conflicting with concurrent requests");
}

asio::awaitable<std::optional<KeyBinding>> PgStore::find_key_binding(std::string key,
                                                                     std::int64_t since) {
  Params params{key, num(since)};
  const auto r = co_await pool_.query(
      "SELECT order_id, message_id, created_at, request FROM order_intake "
      "WHERE idempotency_key = $1 AND created_at > $2",
      std::move(params));
  if (r.rows.empty()) co_return std::nullopt;
  const auto& row = r.rows[0];
  co_return KeyBinding{{AcceptOutcome::replayed, *row[0], *row[1], int_of(row[2])},
                       domain::order_request_from_message(json::parse(*row[3]).as_object())};
}

asio::awaitable<OrderLookup> PgStore::find_order(std::string order_id) {
  // Each statement sees its own snapshot (READ COMMITTED). Asking for the queued snapshot
  // first means a worker committing in between shows up as the order (the second statement
  // sees it), never as neither: asked the other way round, that race answered 404.
  std::vector<Statement> s;
  s.push_back(
      {"SELECT request, created_at FROM order_intake WHERE order_id = $1 AND state = 'queued'",
       {order_id}});
  s.push_back(
      {std::string("SELECT ") + kOrderColumns + " FROM orders WHERE order_id = $1", {order_id}});
  const auto r = co_await pool_.execute(std::move(s));
  OrderLookup out;
  if (!r.at(1).rows.empty()) {
    out.order = order_from_row(r.at(1).rows[0]);
  } else if (!r.at(0).rows.empty()) {
    const auto& row = r.at(0).rows[0];
    out.queued = QueuedOrder{domain::order_request_from_message(json::parse(*row[0]).as_object()),
                             int_of(row[1])};
  }
  co_return out;
}

asio::awaitable<Page<Order>> PgStore::list_orders(OrderFilter f) {
  // Only the filters given enter the SQL (and its parameters), so indexes apply.
  std::string where = " FROM orders WHERE TRUE";
  Params params;
  const auto add = [&](const char* cond, std::optional<std::string> v) {
    if (!v) return;
    params.push_back(std::move(v));
    where += std::string(" AND ") + cond + " $" + std::to_string(params.size());
  };
  add("status =", f.status);
  add("customer_id =", f.customer_id);
  add("customer_email =", f.customer_email);
  add("session_id =", f.session_id);
  add("created_at >=", num(f.created_after));
  add("created_at <=", num(f.created_before));
  auto page_params = params;
  page_params.push_back(num(f.limit));
  page_params.push_back(num((f.page - 1) * f.limit));
  const auto n = params.size();
  std::vector<Statement> s;
  s.push_back({"SELECT count(*)" + where, params});
  s.push_back({std::string("SELECT ") + kOrderColumns + where + " ORDER BY created_at " +
                   (f.oldest_first ? "ASC, order_id ASC" : "DESC, order_id DESC") + " LIMIT $" +
                   std::to_string(n + 1) + " OFFSET $" + std::to_string(n + 2),
               page_params});
  const auto r = co_await read(std::move(s));
  Page<Order> page;
  page.total = int_of(r.at(0).rows.at(0).at(0));
  for (const auto& row : r.at(1).rows) page.data.push_back(order_from_row(row));
  co_return page;
}

asio::awaitable<std::optional<std::vector<StoredEvent>>> PgStore::order_events(
    std::string order_id) {
  std::vector<Statement> s;
  s.push_back({"SELECT seq, type, at, data FROM order_events WHERE order_id = $1 ORDER BY seq",
               {order_id}});
  s.push_back({"SELECT 1 FROM order_intake WHERE order_id = $1", {order_id}});
  const auto r = co_await pool_.execute(std::move(s));
  if (r.at(0).rows.empty() && r.at(1).rows.empty()) co_return std::nullopt;
  std::vector<StoredEvent> events;
  for (const auto& row : r.at(0).rows)
    events.push_back({int_of(row[0]), *row[1], int_of(row[2]), *row[3]});
  co_return events;
}

asio::awaitable<OrderTotals> PgStore::order_totals() {
  std::vector<Statement> s;
  s.push_back({"SELECT status, count(*), COALESCE(sum(total), 0) FROM orders GROUP BY status", {}});
  const auto r = co_await read(std::move(s));
  OrderTotals t;
  for (const auto& row : r.at(0).rows) {
    t.by_status[*row[0]] = int_of(row[1]);
    t.total += int_of(row[1]);
    if (*row[0] == "confirmed" || *row[0] == "shipped" || *row[0] == "delivered")
      t.revenue += int_of(row[2]);
  }
  co_return t;
}

asio::awaitable<BatchResult> PgStore::apply_batch(std::vector<queue::Message> batch,
                                                  const domain::ProcessingRules& rules) {
  auto outcome = co_await in_transaction<
      BatchResult>(pool_, [&](pg::Pool::Lease& tx) -> asio::awaitable<BatchResult> {
    BatchResult result;
    const auto now = now_ms();
    std::vector<std::string> ids;
    for (const auto& m : batch) ids.push_back(m.message_id);
    std::vector<Statement> claim;
    if (queue_) {
      // Lock the messages: a delivery whose receipt is no longer current is not ours to apply.
      claim.push_back(
          {"SELECT message_id, receipt FROM queue_messages WHERE message_id = ANY($1::text[]) "
           "AND NOT in_dlq ORDER BY seq FOR UPDATE",
           {pg::text_array(ids)}});
    } else {
      // Record them in the inbox; one already there was applied before. A concurrent batch
      // with the same message waits here for that one's commit, then finds it.
      claim.push_back(
          {"INSERT INTO queue_inbox(message_id, applied_at) SELECT unnest($1::text[]), $2 "
           "ON CONFLICT DO NOTHING RETURNING message_id, ''",
           {pg::text_array(ids), num(now)}});
    }
    const auto claimed = (co_await tx.execute(std::move(claim))).at(0);
    std::map<std::string, std::string> receipts;
    for (const auto& row : claimed.rows) receipts[*row[0]] = row[1].value_or("");

    std::vector<Statement> writes;
    std::vector<std::string> not_applied;  // inbox rows to take back: they are tried again
    const auto failed = [&](const queue::Message& m, const std::string& error) {
      if (queue_)
        writes.push_back(queue_->fail_statement(m, error, now));
      else
        not_applied.push_back(m.message_id);
      result.failed.emplace_back(m.message_id, error);
    };
    std::vector<queue::Message> work;
    std::vector<domain::OrderMessage> bodies;
    for (const auto& m : batch) {  // copied, not moved: a deadlock victim runs this again
      const auto it = receipts.find(m.message_id);
      if (it == receipts.end()) {
        (queue_ ? result.stale : result.already_applied).push_back(m.message_id);
        continue;
      }
      if (queue_ && it->second != m.receipt) {
        result.stale.push_back(m.message_id);
        continue;
      }
      try {
        bodies.push_back(domain::decode_message(m.body));
        work.push_back(m);
      } catch (const std::exception& e) {
        failed(m, e.what());
      }
    }
    // Lock and load what the batch touches: its orders, their event sequence, its products
    // (locked in id order, so that concurrent batches cannot deadlock).
    std::set<std::string> order_ids;
    for (const auto& b : bodies) order_ids.insert(domain::message_order_id(b));
    const auto order_array = pg::text_array({order_ids.begin(), order_ids.end()});
    std::vector<Statement> load;
    load.push_back(
        {std::string("SELECT ") + kOrderColumns +
             " FROM orders WHERE order_id = ANY($1::text[]) ORDER BY order_id FOR UPDATE",
         {order_array}});
    load.push_back(
        {"SELECT order_id, max(seq) FROM order_events WHERE order_id = ANY($1::text[]) "
         "GROUP BY order_id",
         {order_array}});
    const auto loaded = co_await tx.execute(std::move(load));
    domain::BatchState snapshot;
    for (const auto& id : order_ids) snapshot.orders[id] = std::nullopt;
    for (const auto& row : loaded.at(0).rows) snapshot.orders[*row[0]] = order_from_row(row);
    std::map<std::string, std::int64_t> next_seq;
    for (const auto& row : loaded.at(1).rows) next_seq[*row[0]] = int_of(row[1]);
    const auto product_ids = domain::products_needed(bodies, snapshot);
    if (!product_ids.empty()) {
      std::vector<Statement> products;
      products.push_back(
          {"SELECT product_id, sku, name, price, stock, reserved FROM products "
           "WHERE product_id = ANY($1::text[]) ORDER BY product_id FOR UPDATE",
           {pg::text_array({product_ids.begin(), product_ids.end()})}});
      // Named: a range-for over a member of a temporary would outlive the temporary.
      const auto locked = co_await tx.execute(std::move(products));
      for (const auto& row : locked.at(0).rows)
        snapshot.products[*row[0]] = domain::Product{
            *row[0], *row[1], *row[2], int_of(row[3]), int_of(row[4]), int_of(row[5])};
    }

    auto outcome = domain::apply_all(snapshot, bodies, rules, now);
    const auto& state = outcome.state;
    std::vector<bool> applied(work.size(), true);
    for (const auto& [i, error] : outcome.failed) {
      applied[i] = false;
      failed(work[i], error);
    }
    for (const auto& id : state.changed_orders) {
      if (const auto& o = state.orders.at(id))
        writes.push_back(upsert_order(*o));
      else
        writes.push_back({"DELETE FROM orders WHERE order_id = $1", {id}});
    }
    for (const auto& id : state.changed_products) {
      const auto& p = state.products.at(id);
      writes.push_back(
          {"UPDATE products SET stock = $2, reserved = $3, updated_at = $4 WHERE product_id = $1",
           {id, num(p.stock), num(p.reserved), num(now)}});
    }
    for (const auto& e : state.events)
      writes.push_back(
          {"INSERT INTO order_events(order_id, seq, type, at, data) VALUES ($1,$2,$3,$4,$5)",
           {e.order_id, num(++next_seq[e.order_id]), e.type, num(e.at), json::serialize(e.data)}});
    // Without a queue here, the intake is the queue's too (RedisIntakeStore marks it).
    if (queue_)
      for (const auto& [id, st] : state.intake_updates)
        writes.push_back({"UPDATE order_intake SET state = $2 WHERE order_id = $1",
                          {id, std::string(intake_state_name(st))}});
    for (std::size_t i = 0; i < work.size(); ++i) {
      if (!applied[i]) continue;
      if (queue_) writes.push_back(queue_->remove_statement(work[i]));
      result.applied.push_back(work[i].message_id);
    }
    if (!not_applied.empty())
      writes.push_back({"DELETE FROM queue_inbox WHERE message_id = ANY($1::text[])",
                        {pg::text_array(not_applied)}});
    if (!writes.empty()) co_await tx.execute(std::move(writes));
    record_outcome(result, state, bodies, applied);
    co_return result;
  });
  if (!outcome.applied.empty()) co_await wrote();
  if (!queue_) co_await forget_old_inbox_entries();
  co_return outcome;
}

asio::awaitable<void> PgStore::forget_old_inbox_entries() {
  // A message is redelivered within its retries, or after a redrive: a week covers both.
  constexpr std::int64_t kKeep = 7 * 24 * 3'600'000LL, kEvery = 3'600'000;
  const auto now = now_ms();
  auto last = inbox_swept_at_.load();
  if (now - last < kEvery || !inbox_swept_at_.compare_exchange_strong(last, now)) co_return;
  Params cutoff{num(now - kKeep)};
  co_await pool_.query("DELETE FROM queue_inbox WHERE applied_at < $1", std::move(cutoff));
}

asio::awaitable<std::vector<Result>> PgStore::read(std::vector<Statement> statements) {
  if (!reads_) co_return co_await pool_.execute(std::move(statements));
  co_return co_await reads_->read(std::move(statements));
}

asio::awaitable<void> PgStore::wrote() {
  if (reads_) co_await reads_->note_write();
}

asio::awaitable<void> PgStore::replicas_caught_up() {
  if (lists_may_lag()) co_await reads_->wait_replayed(std::chrono::seconds(10));
}

asio::awaitable<void> PgStore::ping() {
  co_await pool_.query("SELECT 1");
}

asio::awaitable<std::vector<domain::Category>> PgStore::list_categories() {
  std::vector<Statement> s;
  s.push_back(
      {"SELECT c.slug, c.name, count(p.product_id) FROM categories c LEFT JOIN products p "
       "ON p.category = c.slug GROUP BY c.slug, c.name ORDER BY c.name, c.slug",
       {}});
  const auto r = co_await read(std::move(s));
  std::vector<domain::Category> out;
  for (const auto& row : r.at(0).rows) out.push_back({*row[0], *row[1], int_of(row[2])});
  co_return out;
}

asio::awaitable<bool> PgStore::create_category(domain::Category c) {
  Params params{c.slug, c.name, num(now_ms())};
  const auto r = co_await pool_.query(
      "INSERT INTO categories(slug, name, created_at) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING",
      std::move(params));
  co_await wrote();
  co_return r.affected == 1;
}

asio::awaitable<Page<domain::CatalogProduct>> PgStore::list_products(ProductFilter f) {
  std::string where = " WHERE TRUE";
  Params params;
  // `cond` receives the placeholder ($n) of the value it tests.
  const auto add = [&](auto cond, std::optional<std::string> v) {
    if (!v) return;
    params.push_back(std::move(v));
    std::string placeholder = "$";  // appended, not "$" + …: GCC 12 warns falsely on that
    placeholder += std::to_string(params.size());
    where += " AND " + cond(placeholder);
  };
  add([](const std::string& p) { return "p.category = " + p; }, f.category);
  add(
      [](const std::string& p) {
        return "(lower(p.name) LIKE " + p + " OR lower(p.sku) LIKE " + p + ")";
      },
      f.q ? std::optional<std::string>(like_pattern(*f.q)) : std::nullopt);
  add([](const std::string& p) { return "p.price >= " + p; }, num(f.min_price));
  add([](const std::string& p) { return "p.price <= " + p; }, num(f.max_price));
  if (f.in_stock) where += " AND p.stock - p.reserved > 0";
  std::string order = "lower(p.name) ASC";
  if (f.sort == "-name") order = "lower(p.name) DESC";
  if (f.sort == "price") order = "p.price ASC";
  if (f.sort == "-price") order = "p.price DESC";
  if (f.sort == "-created_at") order = "p.created_at DESC";
  auto page_params = params;
  page_params.push_back(num(f.limit));
  page_params.push_back(num((f.page - 1) * f.limit));
  const auto n = params.size();
  std::vector<Statement> s;
  s.push_back({"SELECT count(*) FROM products p" + where, params});
  s.push_back({std::string(kProductSelect) + where + " ORDER BY " + order +
                   ", p.product_id LIMIT $" + std::to_string(n + 1) + " OFFSET $" +
                   std::to_string(n + 2),
               page_params});
  const auto r = co_await read(std::move(s));
  Page<domain::CatalogProduct> page;
  page.total = int_of(r.at(0).rows.at(0).at(0));
  for (const auto& row : r.at(1).rows) page.data.push_back(product_from_row(row));
  co_return page;
}

asio::awaitable<std::vector<domain::CatalogProduct>> PgStore::find_products(
    std::vector<std::string> ids) {
  // One id (a product page) by equality: its generic plan is an index lookup, so PostgreSQL
  // reuses it. With "= ANY(array)" the generic plan guesses ten rows and costs more than a
  // custom one, so every execution was planned again (measured: half the rate, a long tail).
  const bool one = ids.size() == 1;
  Params params{one ? ids.front() : pg::text_array(ids)};
  const auto r = co_await pool_.query(
      std::string(kProductSelect) +
          (one ? " WHERE p.product_id = $1" : " WHERE p.product_id = ANY($1::text[])"),
      std::move(params));
  // In the order asked for, like the embedded store.
  std::vector<domain::CatalogProduct> out;
  for (const auto& id : ids)
    for (const auto& row : r.rows)
      if (*row[0] == id) out.push_back(product_from_row(row));
  co_return out;
}

asio::awaitable<ProductWrite> PgStore::create_product(domain::ProductFields f) {
  const auto id = f.product_id.value_or(uuid_v7());
  std::vector<Statement> s;
  s.push_back(
      {"INSERT INTO products(product_id, sku, name, description, price, category, stock, "
       "reserved, created_at, updated_at) VALUES ($1,$2,$3,$4,$5,$6,$7,0,$8,$8)",
       {id, *f.sku, *f.name, f.description.value_or(""), num(*f.price), *f.category, num(*f.stock),
        num(now_ms())}});
  s.push_back({std::string(kProductSelect) + " WHERE p.product_id = $1", {id}});
  try {
    const auto r = co_await pool_.execute(std::move(s));
    co_await wrote();
    co_return ProductWrite{WriteOutcome::ok, product_from_row(r.at(1).rows.at(0))};
  } catch (const pg::QueryError& e) {
    if (e.sqlstate() == "23505") co_return ProductWrite{WriteOutcome::duplicate, std::nullopt};
    if (e.sqlstate() == "23503")
      co_return ProductWrite{WriteOutcome::unknown_category, std::nullopt};
    throw;
  }
}

asio::awaitable<ProductWrite> PgStore::update_product(std::string id, domain::ProductFields f) {
  auto outcome = co_await in_transaction<
      ProductWrite>(pool_, [&](pg::Pool::Lease& tx) -> asio::awaitable<ProductWrite> {
    std::vector<Statement> s;
    s.push_back({std::string(kProductSelect) + " WHERE p.product_id = $1 FOR UPDATE OF p", {id}});
    if (f.sku)
      s.push_back({"SELECT 1 FROM products WHERE sku = $1 AND product_id <> $2", {*f.sku, id}});
    if (f.category) s.push_back({"SELECT 1 FROM categories WHERE slug = $1", {*f.category}});
    const auto r = co_await tx.execute(std::move(s));
    if (r.at(0).rows.empty()) co_return ProductWrite{WriteOutcome::not_found, std::nullopt};
    const auto p = product_from_row(r.at(0).rows[0]);
    std::size_t next = 1;
    if (f.sku && !r.at(next++).rows.empty())
      co_return ProductWrite{WriteOutcome::duplicate, std::nullopt};
    if (f.category && r.at(next++).rows.empty())
      co_return ProductWrite{WriteOutcome::unknown_category, std::nullopt};
    if (f.stock && *f.stock < p.reserved)
      co_return ProductWrite{WriteOutcome::below_reserved, std::nullopt};
    std::vector<Statement> u;
    u.push_back(
        {"UPDATE products SET sku=$2, name=$3, description=$4, price=$5, category=$6, stock=$7, "
         "updated_at=$8 WHERE product_id=$1",
         {id, f.sku.value_or(p.sku), f.name.value_or(p.name), f.description.value_or(p.description),
          num(f.price.value_or(p.price)), f.category.value_or(p.category_slug),
          num(f.stock.value_or(p.stock)), num(now_ms())}});
    u.push_back({std::string(kProductSelect) + " WHERE p.product_id = $1", {id}});
    const auto w = co_await tx.execute(std::move(u));
    co_return ProductWrite{WriteOutcome::ok, product_from_row(w.at(1).rows.at(0))};
  });
  co_await wrote();
  co_return outcome;
}

asio::awaitable<ProductWrite> PgStore::change_inventory(std::string id,
                                                        domain::InventoryChange change) {
  auto outcome = co_await in_transaction<
      ProductWrite>(pool_, [&](pg::Pool::Lease& tx) -> asio::awaitable<ProductWrite> {
    std::vector<Statement> s;
    s.push_back({std::string(kProductSelect) + " WHERE p.product_id = $1 FOR UPDATE OF p", {id}});
    const auto r = co_await tx.execute(std::move(s));
    if (r.at(0).rows.empty()) co_return ProductWrite{WriteOutcome::not_found, std::nullopt};
    const auto p = product_from_row(r.at(0).rows[0]);
    const auto [stock, verdict] = domain::apply_inventory_change(p.stock, p.reserved, change);
    if (verdict == domain::InventoryVerdict::negative)
      co_return ProductWrite{WriteOutcome::negative, p};
    if (verdict == domain::InventoryVerdict::below_reserved)
      co_return ProductWrite{WriteOutcome::below_reserved, p};
    std::vector<Statement> u;
    u.push_back({"UPDATE products SET stock = $2, updated_at = $3 WHERE product_id = $1",
                 {id, num(stock), num(now_ms())}});
    u.push_back({std::string(kProductSelect) + " WHERE p.product_id = $1", {id}});
    const auto w = co_await tx.execute(std::move(u));
    co_return ProductWrite{WriteOutcome::ok, product_from_row(w.at(1).rows.at(0))};
  });
  co_await wrote();
  co_return outcome;
}

asio::awaitable<bool> PgStore::delete_product(std::string id) {
  Params params{id};
  const auto r =
      co_await pool_.query("DELETE FROM products WHERE product_id = $1", std::move(params));
  co_await wrote();
  co_return r.affected > 0;
}

asio::awaitable<bool> PgStore::load_demo_catalog(domain::DemoCatalog demo) {
  auto outcome =
      co_await in_transaction<bool>(pool_, [&](pg::Pool::Lease& tx) -> asio::awaitable<bool> {
        // Several processes may start at once: one loads, the others find it done.
        std::vector<Statement> check;
        check.push_back(plain("SELECT pg_advisory_xact_lock(7021800207081650296)"));
        check.push_back(
            plain("SELECT (SELECT count(*) FROM products) + (SELECT count(*) FROM categories)"));
        const auto r = co_await tx.execute(std::move(check));
        if (int_of(r.at(1).rows.at(0).at(0)) > 0) co_return false;
        const auto now = num(now_ms());
        std::vector<Statement> inserts;
        for (const auto& c : demo.categories)
          inserts.push_back({"INSERT INTO categories(slug, name, created_at) VALUES ($1,$2,$3)",
                             {c.slug, c.name, now}});
        for (const auto& p : demo.products)
          inserts.push_back(
              {"INSERT INTO products(product_id, sku, name, description, price, category, stock, "
               "reserved, created_at, updated_at) VALUES ($1,$2,$3,$4,$5,$6,$7,0,$8,$8)",
               {p.product_id, p.sku, p.name, p.description, num(p.price), p.category_slug,
                num(p.stock), now}});
        co_await tx.execute(std::move(inserts));
        co_return true;
      });
  co_await wrote();
  co_return outcome;
}

namespace {
StoredCart cart_from(const Result& head, const Result& items) {
  StoredCart cart;
  if (head.rows.empty()) return cart;
  cart.updated_at = int_of(head.rows[0][0]);
  for (const auto& row : items.rows) cart.lines.push_back({*row[0], int_of(row[1])});
  return cart;
}

void read_cart(std::vector<Statement>& s, const std::string& session, std::int64_t expired_before) {
  s.push_back({"SELECT updated_at FROM carts WHERE session_id = $1 AND updated_at > $2",
               {session, num(expired_before)}});
  s.push_back(
      {"SELECT i.product_id, i.quantity FROM cart_items i JOIN carts c USING (session_id) "
       "WHERE i.session_id = $1 AND c.updated_at > $2 ORDER BY i.added_at, i.product_id",
       {session, num(expired_before)}});
}
}  // namespace

asio::awaitable<StoredCart> PgCartStore::get(std::string session) {
  std::vector<Statement> s;
  read_cart(s, session, now_ms() - ttl_.count());
  const auto r = co_await pool_.execute(std::move(s));
  co_return cart_from(r.at(0), r.at(1));
}

asio::awaitable<StoredCart> PgCartStore::set_quantity(std::string session, std::string product_id,
                                                      std::int64_t quantity) {
  const auto now = now_ms();
  std::vector<Statement> s;
  // One request, one transaction: an expired cart starts over, then the line changes.
  s.push_back({"DELETE FROM carts WHERE session_id = $1 AND updated_at <= $2",
               {session, num(now - ttl_.count())}});
  s.push_back(
      {"INSERT INTO carts(session_id, updated_at) VALUES ($1, $2) ON CONFLICT (session_id) "
       "DO UPDATE SET updated_at = EXCLUDED.updated_at",
       {session, num(now)}});
  if (quantity <= 0)
    s.push_back({"DELETE FROM cart_items WHERE session_id = $1 AND product_id = $2",
                 {session, product_id}});
  else
    s.push_back(
        {"INSERT INTO cart_items(session_id, product_id, quantity, added_at) VALUES ($1,$2,$3,$4) "
         "ON CONFLICT (session_id, product_id) DO UPDATE SET quantity = EXCLUDED.quantity",
         {session, product_id, num(quantity), num(now)}});
  read_cart(s, session, now - ttl_.count());
  const auto r = co_await pool_.execute(std::move(s));
  co_return cart_from(r.at(r.size() - 2), r.at(r.size() - 1));
}

asio::awaitable<void> PgCartStore::clear(std::string session) {
  Params params{session};
  co_await pool_.query("DELETE FROM carts WHERE session_id = $1", std::move(params));
}

asio::awaitable<std::int64_t> PgCartStore::remove_expired() {
  Params params{num(now_ms() - ttl_.count())};
  const auto r =
      co_await pool_.query("DELETE FROM carts WHERE updated_at <= $1", std::move(params));
  co_return r.affected;
}

}  // namespace orderflow::store
