#pragma once
// Orders as the API reads them, on an SQL server, written once for PostgreSQL and MySQL (`Db`
// and `Dialect` as in sql_catalog.hpp; the SQL is the backend's orders.sql): by id and events
// from the primary, lists and totals through the replicas.
#include <boost/asio/awaitable.hpp>
#include <boost/json/parse.hpp>

#include "backends/sql/rows.hpp"
#include "backends/sql/sql_files.hpp"
#include "backends/sql/sql_list_query.hpp"
#include "core/ports/health_probe.hpp"
#include "core/ports/order_reads.hpp"

namespace orderflow::backends {

template <class Db, class Dialect>
class SqlOrders final : public ports::OrderReads, public ports::HealthProbe {
 public:
  explicit SqlOrders(Db& db) : db_(db) {}

  boost::asio::awaitable<ports::OrderLookup> find_order(std::string order_id) override {
    // Each statement sees its own snapshot (READ COMMITTED). Asking for the queued snapshot
    // first means a worker committing in between shows up as the order (the second statement
    // sees it), never as neither: asked the other way round, that race answered 404.
    std::vector<Statement> s;
    s.push_back({sql_["queued_request"], {order_id}});
    s.push_back({sql_["find_order"], {order_id}});
    const auto r = co_await db_.primary().execute(std::move(s));
    ports::OrderLookup out;
    if (!r.at(1).rows.empty()) {
      out.order = order_from_row(r.at(1).row(0));
    } else if (!r.at(0).rows.empty()) {
      const auto row = r.at(0).row(0);
      out.queued = ports::QueuedOrder{
          domain::order_request_from_message(boost::json::parse(row.text("request")).as_object()),
          row.integer("created_at")};
    }
    co_return out;
  }

  boost::asio::awaitable<ports::OrderPage> list_orders(ports::OrderFilter f) override {
    SqlListQuery<Statement, Dialect> q;
    q.add("status = ?", f.status);
    q.add("customer_id = ?", f.customer_id);
    q.add("customer_email = ?", f.customer_email);
    q.add("session_id = ?", f.session_id);
    q.add("created_at >= ?", f.created_after);
    q.add("created_at <= ?", f.created_before);
    std::vector<Statement> s;
    if (f.with_total) s.push_back(q.count(sql_["count_orders"]));
    // Keyset: after the cursor's order in the list's order (created_at, then order_id).
    if (f.after) {
      const auto at = f.after->created_at;
      q.add_each(f.oldest_first ? "created_at >= ? AND (created_at > ? OR order_id > ?)"
                                : "created_at <= ? AND (created_at < ? OR order_id < ?)",
                 at, at, f.after->order_id);
    }
    s.push_back(
        q.page(sql_["list_orders"],
               f.oldest_first ? "created_at ASC, order_id ASC" : "created_at DESC, order_id DESC",
               f.limit + 1, f.after ? 0 : (f.page - 1) * f.limit));
    const auto r = co_await db_.read(std::move(s));
    ports::OrderPage page;
    if (f.with_total) page.total = r.front().row(0).integer("count");
    for (const auto row : r.back().each_row()) page.data.push_back(order_from_row(row));
    page.keep_page(f.limit);
    co_return page;
  }

  boost::asio::awaitable<std::optional<std::vector<ports::StoredEvent>>> order_events(
      std::string order_id) override {
    std::vector<Statement> s;
    s.push_back({sql_["order_events"], {order_id}});
    s.push_back({sql_["intake_exists"], {order_id}});
    const auto r = co_await db_.primary().execute(std::move(s));
    if (r.at(0).rows.empty() && r.at(1).rows.empty()) co_return std::nullopt;
    std::vector<ports::StoredEvent> events;
    for (const auto row : r.at(0).each_row())
      events.push_back({row.integer("seq"), row.text("type"), row.integer("at"), row.text("data")});
    co_return events;
  }

  boost::asio::awaitable<ports::OrderTotals> order_totals() override {
    std::vector<Statement> s;
    s.push_back({sql_["order_totals"], {}});
    const auto r = co_await db_.read(std::move(s));
    ports::OrderTotals t;
    for (const auto row : r.at(0).each_row()) {
      const auto& status = row.text("status");
      t.by_status[status] = row.integer("orders");
      t.total += row.integer("orders");
      if (status == "confirmed" || status == "shipped" || status == "delivered")
        t.revenue += row.integer("total");
    }
    co_return t;
  }

  boost::asio::awaitable<void> ping() override { co_await db_.primary().query(sql_["ping"]); }

 private:
  using Statement = typename Dialect::Statement;

  Db& db_;
  const SqlFiles& sql_ = Dialect::sql();
};

}  // namespace orderflow::backends
