#include "backends/sqlite/sqlite_carts.hpp"

#include "backends/sqlite/sqlite_schema.hpp"
#include "base/time.hpp"

namespace orderflow::backends {

namespace asio = boost::asio;
using sqlite::Connection;

namespace {

const SqlFiles& sql = sqlite_sql();

ports::StoredCart load_cart(Connection& c, const std::string& session,
                            std::int64_t expired_before) {
  ports::StoredCart cart;
  {
    auto cur = c.query(sql["cart_updated_at"], session);
    if (!cur.next() || cur.integer(0) <= expired_before) return cart;
    cart.updated_at = cur.integer(0);
  }
  auto cur = c.query(sql["cart_items"], session);
  while (cur.next()) cart.lines.push_back({cur.text("product_id"), cur.integer("quantity")});
  return cart;
}
}  // namespace

namespace {
class SqliteCarts final : public ports::Carts {
 public:
  SqliteCarts(sqlite::Database& db, std::chrono::milliseconds ttl) : db_(db), ttl_(ttl) {}

  asio::awaitable<ports::StoredCart> get(std::string session) override {
    co_return co_await db_.read<ports::StoredCart>(
        [&, ttl = ttl_](Connection& c) { return load_cart(c, session, now_ms() - ttl.count()); });
  }
  asio::awaitable<ports::StoredCart> set_quantity(std::string session, std::string product_id,
                                                  std::int64_t quantity) override {
    co_return co_await db_.write<ports::StoredCart>([&, ttl = ttl_](Connection& c) {
      const auto now = now_ms();
      // An expired cart that was not cleaned up yet starts over empty.
      c.exec(sql["delete_expired_cart"], session, now - ttl.count());
      c.exec(sql["touch_cart"], session, now);
      if (quantity <= 0)
        c.exec(sql["delete_cart_item"], session, product_id);
      else
        c.exec(sql["upsert_cart_item"], session, product_id, quantity, now);
      return load_cart(c, session, now - ttl.count());
    });
  }
  asio::awaitable<void> clear(std::string session) override {
    co_await db_.write<int>([&](Connection& c) {
      c.exec(sql["delete_cart"], session);
      return 0;
    });
  }
  asio::awaitable<std::int64_t> remove_expired() override {
    co_return co_await db_.write<std::int64_t>([ttl = ttl_](Connection& c) {
      return c.exec(sql["delete_expired_carts"], now_ms() - ttl.count());
    });
  }

 private:
  sqlite::Database& db_;
  // Read on the calling thread: a job may still run on the database's thread after shutdown
  // destroyed this object (the database, which joins its threads, goes after it).
  std::chrono::milliseconds ttl_;
};
}  // namespace

std::unique_ptr<ports::Carts> make_sqlite_carts(sqlite::Database& db,
                                                std::chrono::milliseconds ttl) {
  return std::make_unique<SqliteCarts>(db, ttl);
}

}  // namespace orderflow::backends
