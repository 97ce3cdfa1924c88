#include "backends/sqlite/sqlite_carts.hpp"

#include "base/time.hpp"

namespace orderflow::backends {

namespace asio = boost::asio;
using sqlite::Connection;

namespace {
ports::StoredCart load_cart(Connection& c, const std::string& session,
                            std::int64_t expired_before) {
  ports::StoredCart cart;
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

asio::awaitable<ports::StoredCart> SqliteCarts::get(std::string session) {
  co_return co_await db_.read<ports::StoredCart>(
      [&](Connection& c) { return load_cart(c, session, now_ms() - ttl_.count()); });
}

asio::awaitable<ports::StoredCart> SqliteCarts::set_quantity(std::string session,
                                                             std::string product_id,
                                                             std::int64_t quantity) {
  co_return co_await db_.write<ports::StoredCart>([&](Connection& c) {
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

asio::awaitable<void> SqliteCarts::clear(std::string session) {
  co_await db_.write<int>([&](Connection& c) {
    c.exec("DELETE FROM carts WHERE session_id=?1", session);
    return 0;
  });
}

asio::awaitable<std::int64_t> SqliteCarts::remove_expired() {
  co_return co_await db_.write<std::int64_t>([&](Connection& c) {
    return c.exec("DELETE FROM carts WHERE updated_at<=?1", now_ms() - ttl_.count());
  });
}

}  // namespace orderflow::backends
