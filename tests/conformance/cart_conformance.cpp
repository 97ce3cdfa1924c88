// The cart store contract, run against every cart backend.
#include <gtest/gtest.h>

#include "backends.hpp"

namespace orderflow::testing {
namespace {

using namespace std::chrono_literals;

template <typename Backend>
class CartConformance : public ::testing::Test {
 protected:
  ports::Carts& carts(std::chrono::milliseconds ttl = 7 * 24h) { return backend_.carts(ttl); }
  template <typename T>
  T await(asio::awaitable<T> op) {
    return run(io_, std::move(op));
  }
  void await(asio::awaitable<void> op) { run(io_, std::move(op)); }
  asio::io_context io_;
  Backend backend_{queue::QueueOptions{}, io_};
};

using CartConformanceBackends =
    ::testing::Types<SqliteBackend, PgBackend, MysqlBackend, RedisCartBackend>;
TYPED_TEST_SUITE(CartConformance, CartConformanceBackends, BackendNames);

TYPED_TEST(CartConformance, LinesKeepTheirOrderAndQuantities) {
  auto& c = this->carts();
  EXPECT_EQ(this->await(c.get("s")).updated_at, 0);
  this->await(c.set_quantity("s", "b", 2));
  this->await(c.set_quantity("s", "a", 1));
  auto cart = this->await(c.set_quantity("s", "b", 5));
  ASSERT_EQ(cart.lines.size(), 2u);
  EXPECT_EQ(cart.lines[0].product_id, "b");
  EXPECT_EQ(cart.lines[0].quantity, 5);
  EXPECT_GT(cart.updated_at, 0);
  cart = this->await(c.set_quantity("s", "b", 0));
  ASSERT_EQ(cart.lines.size(), 1u);
  EXPECT_TRUE(this->await(c.get("other")).lines.empty());
  this->await(c.clear("s"));
  EXPECT_TRUE(this->await(c.get("s")).lines.empty());
}

TYPED_TEST(CartConformance, CartsExpireAfterTheirLastChange) {
  auto& c = this->carts(300ms);
  this->await(c.set_quantity("s", "a", 1));
  sleep_ms(150);
  this->await(c.set_quantity("s", "a", 2));  // a change restarts the clock
  sleep_ms(200);
  EXPECT_EQ(this->await(c.get("s")).lines.size(), 1u);
  sleep_ms(200);
  EXPECT_TRUE(this->await(c.get("s")).lines.empty());
  // Stores that keep expired carts until swept report how many the sweep removed.
  EXPECT_EQ(this->await(c.remove_expired()), TypeParam::kSweepsExpired ? 1 : 0);
  auto fresh = this->await(c.set_quantity("s", "b", 1));
  ASSERT_EQ(fresh.lines.size(), 1u) << "an expired cart starts over";
  EXPECT_EQ(fresh.lines[0].product_id, "b");
}

}  // namespace
}  // namespace orderflow::testing
