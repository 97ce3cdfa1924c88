#pragma once
#include <boost/asio/awaitable.hpp>

#include <cstdint>
#include <string>
#include <vector>

namespace orderflow::ports {

struct CartLine {
  std::string product_id;
  std::int64_t quantity = 0;
};

struct StoredCart {
  std::vector<CartLine> lines;  // in the order they were added
  std::int64_t updated_at = 0;  // 0: no cart
};

// Carts by session id, expiring `ttl` after their last change.
class Carts {
 public:
  virtual ~Carts() = default;
  virtual boost::asio::awaitable<StoredCart> get(std::string session) = 0;
  // Sets a line's quantity (0 removes it) and returns the cart after the change.
  virtual boost::asio::awaitable<StoredCart> set_quantity(std::string session,
                                                          std::string product_id,
                                                          std::int64_t quantity) = 0;
  virtual boost::asio::awaitable<void> clear(std::string session) = 0;
  virtual boost::asio::awaitable<std::int64_t> remove_expired() = 0;
};

}  // namespace orderflow::ports
