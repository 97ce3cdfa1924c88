#pragma once
#include <chrono>

#include "core/ports/carts.hpp"
#include "drivers/pg/pool.hpp"

namespace orderflow::backends {

class PgCarts final : public ports::Carts {
 public:
  PgCarts(pg::Pool& pool, std::chrono::milliseconds ttl) : pool_(pool), ttl_(ttl) {}

  boost::asio::awaitable<ports::StoredCart> get(std::string session) override;
  boost::asio::awaitable<ports::StoredCart> set_quantity(std::string session,
                                                         std::string product_id,
                                                         std::int64_t quantity) override;
  boost::asio::awaitable<void> clear(std::string session) override;
  boost::asio::awaitable<std::int64_t> remove_expired() override;

 private:
  pg::Pool& pool_;
  std::chrono::milliseconds ttl_;
};

}  // namespace orderflow::backends
