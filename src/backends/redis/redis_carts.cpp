#include "backends/redis/redis_carts.hpp"

#include <algorithm>
#include <tuple>

#include "backends/redis/redis_lua.hpp"
#include "base/time.hpp"
#include "drivers/redis/script.hpp"

namespace orderflow::backends {

namespace asio = boost::asio;

namespace {
const redis::Script kSetQuantity(lua_script({"carts_set_quantity.lua"}));

// HGETALL's flat field/value list → the cart, lines in the order they were added.
ports::StoredCart cart_from(const redis::Reply& all) {
  ports::StoredCart cart;
  std::vector<std::tuple<std::int64_t, std::string, std::int64_t>> lines;  // seq, product, qty
  const auto& e = all.elements;
  for (std::size_t i = 0; i + 1 < e.size(); i += 2) {
    const auto& field = e[i].str;
    const auto& value = e[i + 1].str;
    if (field == "~updated_at") {
      cart.updated_at = std::stoll(value);
    } else if (field.starts_with("p:")) {
      const auto colon = value.find(':');
      lines.emplace_back(std::stoll(value.substr(0, colon)), field.substr(2),
                         std::stoll(value.substr(colon + 1)));
    }
  }
  std::sort(lines.begin(), lines.end());
  for (auto& [seq, product, quantity] : lines) cart.lines.push_back({std::move(product), quantity});
  return cart;
}

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

  asio::awaitable<ports::StoredCart> get(std::string session) override {
    redis::Command cmd{"HGETALL", key(session)};
    const auto all = co_await client_.command(std::move(cmd));
    co_return cart_from(all);
  }

  asio::awaitable<ports::StoredCart> set_quantity(std::string session, std::string product_id,
                                                  std::int64_t quantity) override {
    std::vector<std::string> keys{key(session)};
    std::vector<std::string> args{std::move(product_id), std::to_string(quantity),
                                  std::to_string(now_ms()),
                                  std::to_string(std::max<std::int64_t>(1, ttl_.count()))};
    const auto all = co_await kSetQuantity.run(client_, std::move(keys), std::move(args));
    co_return cart_from(all);
  }

  asio::awaitable<void> clear(std::string session) override {
    redis::Command cmd{"DEL", key(session)};
    co_await client_.command(std::move(cmd));
  }

  // Redis expires carts by itself: nothing to sweep.
  asio::awaitable<std::int64_t> remove_expired() override { co_return 0; }

 private:
  std::string key(const std::string& session) const { return prefix_ + "cart:" + session; }

  redis::Client& client_;
  std::string prefix_;
  std::chrono::milliseconds ttl_;
};
}  // namespace

std::unique_ptr<ports::Carts> make_redis_carts(redis::Client& client, std::string prefix,
                                               std::chrono::milliseconds ttl) {
  return std::make_unique<RedisCarts>(client, std::move(prefix), ttl);
}

}  // namespace orderflow::backends
