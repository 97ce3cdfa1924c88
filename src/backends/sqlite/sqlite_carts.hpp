#pragma once
#include <chrono>

#include "core/ports/carts.hpp"
#include "drivers/sqlite/database.hpp"

namespace orderflow::backends {

class SqliteCarts final : public ports::Carts {
 public:
  SqliteCarts(sqlite::Database& db, std::chrono::milliseconds ttl) : db_(db), ttl_(ttl) {}

  boost::asio::awaitable<ports::StoredCart> get(std::string session) override;
  boost::asio::awaitable<ports::StoredCart> set_quantity(std::string session,
                                                         std::string product_id,
                                                         std::int64_t quantity) override;
  boost::asio::awaitable<void> clear(std::string session) override;
  boost::asio::awaitable<std::int64_t> remove_expired() override;

 private:
  sqlite::Database& db_;
  std::chrono::milliseconds ttl_;
};

}  // namespace orderflow::backends
