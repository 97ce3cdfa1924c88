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
}  // namespace

asio::awaitable<ports::StoredCart> RedisCarts::get(std::string session) {
  redis::Command cmd{"HGETALL", key(session)};
  const auto all = co_await client_.command(std::move(cmd));
  co_return cart_from(all);
}

asio::awaitable<ports::StoredCart> RedisCarts::set_quantity(std::string session,
                                                            std::string product_id,
                                                            std::int64_t quantity) {
  std::vector<std::string> keys{key(session)};
  std::vector<std::string> args{std::move(product_id), std::to_string(quantity),
                                std::to_string(now_ms()),
                                std::to_string(std::max<std::int64_t>(1, ttl_.count()))};
  const auto all = co_await kSetQuantity.run(client_, std::move(keys), std::move(args));
  co_return cart_from(all);
}

asio::awaitable<void> RedisCarts::clear(std::string session) {
  redis::Command cmd{"DEL", key(session)};
  co_await client_.command(std::move(cmd));
}

asio::awaitable<std::int64_t> RedisCarts::remove_expired() {
  co_return 0;
}

}  // namespace orderflow::backends
