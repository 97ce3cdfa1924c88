#pragma once
#include "core/ports/carts.hpp"
#include "drivers/redis/client.hpp"

namespace orderflow::backends {

// Carts in Redis (when Redis is configured), so that every API process sees the same carts: a
// hash "<prefix>cart:<session>" with a field per line ("p:<product id>" → "<seq>:<quantity>",
// seq keeping the order lines were added) and "~updated_at"; the whole hash expires `ttl` after
// its last change (PEXPIRE on every change). A change is one Lua script, so concurrent changes
// to one cart do not lose lines. Redis down: cart requests fail with 503 (a cart is data, not a
// copy of it).
class RedisCarts final : public ports::Carts {
 public:
  RedisCarts(redis::Client& client, std::string prefix, std::chrono::milliseconds ttl)
      : client_(client), prefix_(std::move(prefix)), ttl_(ttl) {}

  boost::asio::awaitable<ports::StoredCart> get(std::string session) override;
  boost::asio::awaitable<ports::StoredCart> set_quantity(std::string session,
                                                         std::string product_id,
                                                         std::int64_t quantity) override;
  boost::asio::awaitable<void> clear(std::string session) override;
  // Redis expires carts by itself: nothing to sweep.
  boost::asio::awaitable<std::int64_t> remove_expired() override;

 private:
  std::string key(const std::string& session) const { return prefix_ + "cart:" + session; }

  redis::Client& client_;
  std::string prefix_;
  std::chrono::milliseconds ttl_;
};

}  // namespace orderflow::backends
