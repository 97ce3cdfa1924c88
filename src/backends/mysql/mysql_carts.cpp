#include "backends/mysql/mysql_carts.hpp"

#include "backends/mysql/mysql_schema.hpp"
#include "base/time.hpp"

namespace orderflow::backends {

namespace asio = boost::asio;
using mysql::Statement;

namespace {

const SqlFiles& sql = mysql_sql();

// A cart is its row and its items, read in the request that changed it.
void read_cart(std::vector<Statement>& s, const std::string& session, std::int64_t expired_before) {
  s.push_back({sql["cart_updated_at"], {session, expired_before}});
  s.push_back({sql["cart_items"], {session, expired_before}});
}

ports::StoredCart cart_from(const mysql::Result& head, const mysql::Result& items) {
  ports::StoredCart cart;
  if (head.rows.empty()) return cart;
  cart.updated_at = head.row(0).integer("updated_at");
  for (const auto row : items.each_row())
    cart.lines.push_back({row.text("product_id"), row.integer("quantity")});
  return cart;
}

class MysqlCarts final : public ports::Carts {
 public:
  MysqlCarts(mysql::Pool& pool, std::chrono::milliseconds ttl) : pool_(pool), ttl_(ttl) {}

  asio::awaitable<ports::StoredCart> get(std::string session) override {
    std::vector<Statement> s;
    read_cart(s, session, now_ms() - ttl_.count());
    const auto r = co_await pool_.execute(std::move(s));
    co_return cart_from(r.at(0), r.at(1));
  }
  asio::awaitable<ports::StoredCart> set_quantity(std::string session, std::string product_id,
                                                  std::int64_t quantity) override {
    const auto now = now_ms();
    // One request, one transaction: an expired cart starts over, then the line changes.
    std::vector<Statement> s;
    s.push_back({sql["delete_expired_cart"], {session, now - ttl_.count()}});
    s.push_back({sql["touch_cart"], {session, now}});
    if (quantity <= 0)
      s.push_back({sql["delete_cart_item"], {session, product_id}});
    else
      s.push_back({sql["upsert_cart_item"], {session, product_id, quantity, now}});
    read_cart(s, session, now - ttl_.count());
    const auto r = co_await pool_.execute(std::move(s));
    co_return cart_from(r.at(r.size() - 2), r.at(r.size() - 1));
  }
  asio::awaitable<void> clear(std::string session) override {
    mysql::Params params{session};
    co_await pool_.query(sql["delete_cart"], std::move(params));
  }
  asio::awaitable<std::int64_t> remove_expired() override {
    mysql::Params params{now_ms() - ttl_.count()};
    const auto r = co_await pool_.query(sql["delete_expired_carts"], std::move(params));
    co_return r.affected;
  }

 private:
  mysql::Pool& pool_;
  std::chrono::milliseconds ttl_;
};

}  // namespace

std::unique_ptr<ports::Carts> make_mysql_carts(mysql::Pool& pool, std::chrono::milliseconds ttl) {
  return std::make_unique<MysqlCarts>(pool, ttl);
}

}  // namespace orderflow::backends
