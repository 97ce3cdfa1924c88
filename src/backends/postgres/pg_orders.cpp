#include "backends/postgres/pg_orders.hpp"

#include <boost/json/parse.hpp>

#include "backends/postgres/pg_rows.hpp"
#include "backends/sql/sql_text.hpp"

namespace orderflow::backends {

namespace asio = boost::asio;
namespace json = boost::json;
using domain::Order;
using pg::Params;
using pg::Result;
using pg::Statement;

namespace {
std::optional<ports::IntakeRecord> intake_record(const Result& r) {
  if (r.rows.empty()) return std::nullopt;
  return ports::IntakeRecord{*r.at(0, "order_id"), *r.at(0, "request_hash"), *r.at(0, "message_id"),
                             int_of(r.at(0, "created_at"))};
}
}  // namespace

asio::awaitable<ports::OrderLookup> PgOrders::find_order(std::string order_id) {
  // Each statement sees its own snapshot (READ COMMITTED). Asking for the queued snapshot
  // first means a worker committing in between shows up as the order (the second statement
  // sees it), never as neither: asked the other way round, that race answered 404.
  std::vector<Statement> s;
  s.push_back(
      {"SELECT request, created_at FROM order_intake WHERE order_id = $1 AND state = 'queued'",
       {order_id}});
  s.push_back(
      {std::string("SELECT ") + kOrderColumns + " FROM orders WHERE order_id = $1", {order_id}});
  const auto r = co_await db_.primary().execute(std::move(s));
  ports::OrderLookup out;
  if (!r.at(1).rows.empty()) {
    out.order = order_from_row(r.at(1).rows[0]);
  } else if (!r.at(0).rows.empty()) {
    const auto& row = r.at(0).rows[0];
    out.queued = ports::QueuedOrder{
        domain::order_request_from_message(json::parse(*row[0]).as_object()), int_of(row[1])};
  }
  co_return out;
}

asio::awaitable<ports::Page<Order>> PgOrders::list_orders(ports::OrderFilter f) {
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
  add("created_at >=", text_of(f.created_after));
  add("created_at <=", text_of(f.created_before));
  auto page_params = params;
  page_params.push_back(text_of(f.limit));
  page_params.push_back(text_of((f.page - 1) * f.limit));
  const auto n = params.size();
  std::vector<Statement> s;
  s.push_back({"SELECT count(*)" + where, params});
  s.push_back({std::string("SELECT ") + kOrderColumns + where + " ORDER BY created_at " +
                   (f.oldest_first ? "ASC, order_id ASC" : "DESC, order_id DESC") + " LIMIT $" +
                   std::to_string(n + 1) + " OFFSET $" + std::to_string(n + 2),
               page_params});
  const auto r = co_await db_.read(std::move(s));
  ports::Page<Order> page;
  page.total = int_of(r.at(0).rows.at(0).at(0));
  for (const auto& row : r.at(1).rows) page.data.push_back(order_from_row(row));
  co_return page;
}

asio::awaitable<std::optional<std::vector<ports::StoredEvent>>> PgOrders::order_events(
    std::string order_id) {
  std::vector<Statement> s;
  s.push_back({"SELECT seq, type, at, data FROM order_events WHERE order_id = $1 ORDER BY seq",
               {order_id}});
  s.push_back({"SELECT 1 FROM order_intake WHERE order_id = $1", {order_id}});
  const auto r = co_await db_.primary().execute(std::move(s));
  if (r.at(0).rows.empty() && r.at(1).rows.empty()) co_return std::nullopt;
  std::vector<ports::StoredEvent> events;
  for (const auto& row : r.at(0).rows)
    events.push_back({int_of(row[0]), *row[1], int_of(row[2]), *row[3]});
  co_return events;
}

asio::awaitable<ports::OrderTotals> PgOrders::order_totals() {
  std::vector<Statement> s;
  s.push_back({"SELECT status, count(*), COALESCE(sum(total), 0) FROM orders GROUP BY status", {}});
  const auto r = co_await db_.read(std::move(s));
  ports::OrderTotals t;
  for (const auto& row : r.at(0).rows) {
    t.by_status[*row[0]] = int_of(row[1]);
    t.total += int_of(row[1]);
    if (*row[0] == "confirmed" || *row[0] == "shipped" || *row[0] == "delivered")
      t.revenue += int_of(row[2]);
  }
  co_return t;
}

asio::awaitable<void> PgOrders::ping() {
  co_await db_.primary().query("SELECT 1");
}

asio::awaitable<ports::AcceptResult> PgIntake::accept(ports::AcceptRequest req) {
  // Look first; create when nothing binds. A concurrent twin that created in between shows up
  // as a unique violation: look again, and it replays.
  for (int attempt = 0; attempt < 3; ++attempt) {
    std::vector<Statement> look;
    if (req.idempotency_key) {
      look.push_back(
          {"UPDATE order_intake SET idempotency_key = NULL WHERE idempotency_key = $1 "
           "AND created_at <= $2",
           {*req.idempotency_key, text_of(req.accepted_at - req.idempotency_window_ms)}});
      look.push_back(
          {std::string(kIntakeRecordSelect) + "idempotency_key = $1", {*req.idempotency_key}});
    }
    if (req.client_order_id)
      look.push_back({std::string(kIntakeRecordSelect) + "order_id = $1", {req.order_id}});
    // Not a conditional expression: GCC 12 miscompiles co_await inside one.
    std::vector<Result> found;
    if (!look.empty()) found = co_await pool_.execute(std::move(look));
    // The key's record follows the statement that expires it; the id's record comes last.
    const auto by_key = req.idempotency_key ? intake_record(found.at(1)) : std::nullopt;
    const auto by_id = req.client_order_id ? intake_record(found.back()) : std::nullopt;
    if (auto bound = ports::decide_intake(req, by_key, by_id)) co_return *bound;
    std::vector<Statement> create;
    create.push_back(queue_.send_statement(req.message, req.accepted_at));
    create.push_back(
        {"INSERT INTO order_intake(order_id, idempotency_key, request_hash, request, "
         "message_id, created_at) SELECT $1, $2, $3, $4, message_id, $5 FROM "
         "queue_dedup WHERE queue_name = $6 AND dedup_id = $7",
         {req.order_id, req.idempotency_key, req.request_hash, req.request_json,
          text_of(req.accepted_at), queue_.name(), queue::dedup_id_of(req.message)}});
    create.push_back({"SELECT pg_notify($1, '')", {queue_.channel()}});
    try {
      const auto r = co_await accepts_.execute(std::move(create));
      queue_.notify_sent();
      co_return ports::AcceptResult{ports::AcceptOutcome::created, req.order_id,
                                    r.at(0).at(0, "message_id").value_or(""), req.accepted_at};
    } catch (const pg::QueryError& e) {
      if (e.sqlstate() != "23505") throw;
    }
  }
  throw std::runtime_error("order intake kept conflicting with concurrent requests");
}

asio::awaitable<std::optional<ports::KeyBinding>> PgIntake::find_key_binding(std::string key,
                                                                             std::int64_t since) {
  Params params{key, text_of(since)};
  const auto r = co_await pool_.query(
      "SELECT order_id, message_id, created_at, request FROM order_intake "
      "WHERE idempotency_key = $1 AND created_at > $2",
      std::move(params));
  if (r.rows.empty()) co_return std::nullopt;
  const auto& row = r.rows[0];
  co_return ports::KeyBinding{{ports::AcceptOutcome::replayed, *row[0], *row[1], int_of(row[2])},
                              domain::order_request_from_message(json::parse(*row[3]).as_object())};
}

}  // namespace orderflow::backends
