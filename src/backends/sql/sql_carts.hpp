#pragma once
// Carts on an SQL server, for any client whose pool has execute(statements) and query(sql,
// params), Pool::Statement{sql, params}, Pool::Params and results read by column name
// (drivers/sqlclient). The SQL is the backend's (its carts.sql: cart_updated_at, cart_items,
// delete_expired_cart, touch_cart, delete_cart_item, upsert_cart_item, delete_cart,
// delete_expired_carts); `integer` makes an integer parameter of the driver's kind.
#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "backends/sql/sql_files.hpp"
#include "base/time.hpp"
#include "core/ports/carts.hpp"

namespace orderflow::backends {

template <class Pool, class Integer>
class SqlCarts final : public ports::Carts {
 public:
  using Statement = typename Pool::Statement;

  SqlCarts(Pool& pool, const SqlFiles& sql, std::chrono::milliseconds ttl, Integer integer)
      : pool_(pool), sql_(sql), ttl_(ttl), integer_(integer) {}

  boost::asio::awaitable<ports::StoredCart> get(std::string session) override {
    std::vector<Statement> s;
    read_cart(s, session, now_ms() - ttl_.count());
    const auto r = co_await pool_.execute(std::move(s));
    co_return cart_from(r.at(0), r.at(1));
  }
  boost::asio::awaitable<ports::StoredCart> set_quantity(std::string session,
                                                         std::string product_id,
                                                         std::int64_t quantity) override {
    const auto now = now_ms();
    // One request, one transaction: an expired cart starts over, then the line changes.
    std::vector<Statement> s;
    s.push_back({sql_["delete_expired_cart"], {session, integer_(now - ttl_.count())}});
    s.push_back({sql_["touch_cart"], {session, integer_(now)}});
    if (quantity <= 0)
      s.push_back({sql_["delete_cart_item"], {session, product_id}});
    else
      s.push_back(
          {sql_["upsert_cart_item"], {session, product_id, integer_(quantity), integer_(now)}});
    read_cart(s, session, now - ttl_.count());
    const auto r = co_await pool_.execute(std::move(s));
    co_return cart_from(r.at(r.size() - 2), r.at(r.size() - 1));
  }
  boost::asio::awaitable<void> clear(std::string session) override {
    typename Pool::Params params{session};  // named: GCC 12 mishandles a braced temporary here
    co_await pool_.query(sql_["delete_cart"], std::move(params));
  }
  boost::asio::awaitable<std::int64_t> remove_expired() override {
    typename Pool::Params params{integer_(now_ms() - ttl_.count())};
    const auto r = co_await pool_.query(sql_["delete_expired_carts"], std::move(params));
    co_return r.affected;
  }

 private:
  // A cart is its row and its items, read in the request that changed it.
  void read_cart(std::vector<Statement>& s, const std::string& session,
                 std::int64_t expired_before) const {
    s.push_back({sql_["cart_updated_at"], {session, integer_(expired_before)}});
    s.push_back({sql_["cart_items"], {session, integer_(expired_before)}});
  }
  template <class Result>
  static ports::StoredCart cart_from(const Result& head, const Result& items) {
    ports::StoredCart cart;
    if (head.rows.empty()) return cart;
    cart.updated_at = head.row(0).integer("updated_at");
    for (const auto row : items.each_row())
      cart.lines.push_back({row.text("product_id"), row.integer("quantity")});
    return cart;
  }

  Pool& pool_;
  const SqlFiles& sql_;
  std::chrono::milliseconds ttl_;
  Integer integer_;
};

template <class Pool, class Integer>
std::unique_ptr<ports::Carts> make_sql_carts(Pool& pool, const SqlFiles& sql,
                                             std::chrono::milliseconds ttl, Integer integer) {
  return std::make_unique<SqlCarts<Pool, Integer>>(pool, sql, ttl, integer);
}

}  // namespace orderflow::backends
