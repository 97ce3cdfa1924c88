#include "backends/postgres/pg_carts.hpp"

#include "backends/postgres/pg_rows.hpp"
#include "base/time.hpp"

namespace orderflow::backends {

namespace asio = boost::asio;
using pg::Params;
using pg::Result;
using pg::Statement;

namespace {
ports::StoredCart cart_from(const Result& head, const Result& items) {
  ports::StoredCart cart;
  if (head.rows.empty()) return cart;
  cart.updated_at = int_of(head.rows[0][0]);
  for (const auto& row : items.rows) cart.lines.push_back({*row[0], int_of(row[1])});
  return cart;
}

void read_cart(std::vector<Statement>& s, const std::string& session, std::int64_t expired_before) {
  s.push_back({"SELECT updated_at FROM carts WHERE session_id = $1 AND updated_at > $2",
               {session, text_of(expired_before)}});
  s.push_back(
      {"SELECT i.product_id, i.quantity FROM cart_items i JOIN carts c USING (session_id) "
       "WHERE i.session_id = $1 AND c.updated_at > $2 ORDER BY i.added_at, i.product_id",
       {session, text_of(expired_before)}});
}
}  // namespace

asio::awaitable<ports::StoredCart> PgCarts::get(std::string session) {
  std::vector<Statement> s;
  read_cart(s, session, now_ms() - ttl_.count());
  const auto r = co_await pool_.execute(std::move(s));
  co_return cart_from(r.at(0), r.at(1));
}

asio::awaitable<ports::StoredCart> PgCarts::set_quantity(std::string session,
                                                         std::string product_id,
                                                         std::int64_t quantity) {
  const auto now = now_ms();
  std::vector<Statement> s;
  // One request, one transaction: an expired cart starts over, then the line changes.
  s.push_back({"DELETE FROM carts WHERE session_id = $1 AND updated_at <= $2",
               {session, text_of(now - ttl_.count())}});
  s.push_back(
      {"INSERT INTO carts(session_id, updated_at) VALUES ($1, $2) ON CONFLICT (session_id) "
       "DO UPDATE SET updated_at = EXCLUDED.updated_at",
       {session, text_of(now)}});
  if (quantity <= 0)
    s.push_back({"DELETE FROM cart_items WHERE session_id = $1 AND product_id = $2",
                 {session, product_id}});
  else
    s.push_back(
        {"INSERT INTO cart_items(session_id, product_id, quantity, added_at) VALUES ($1,$2,$3,$4) "
         "ON CONFLICT (session_id, product_id) DO UPDATE SET quantity = EXCLUDED.quantity",
         {session, product_id, text_of(quantity), text_of(now)}});
  read_cart(s, session, now - ttl_.count());
  const auto r = co_await pool_.execute(std::move(s));
  co_return cart_from(r.at(r.size() - 2), r.at(r.size() - 1));
}

asio::awaitable<void> PgCarts::clear(std::string session) {
  Params params{session};
  co_await pool_.query("DELETE FROM carts WHERE session_id = $1", std::move(params));
}

asio::awaitable<std::int64_t> PgCarts::remove_expired() {
  Params params{text_of(now_ms() - ttl_.count())};
  const auto r =
      co_await pool_.query("DELETE FROM carts WHERE updated_at <= $1", std::move(params));
  co_return r.affected;
}

}  // namespace orderflow::backends
