#pragma once
#include <chrono>
#include <memory>
#include <string>

#include "core/ports/carts.hpp"
#include "drivers/redis/client.hpp"

namespace orderflow::backends {

// Carts in Redis (when Redis is configured), so that every API process sees the same carts: a
// hash "<prefix>cart:<session>" with a field per line ("p:<product id>" → "<seq>:<quantity>",
// seq keeping the order lines were added) and "~updated_at"; the whole hash expires `ttl` after
// its last change (PEXPIRE on every change). A change is one Lua script, so concurrent changes
// to one cart do not lose lines. Redis down: cart requests fail with 503 (a cart is data, not a
// copy of it).
std::unique_ptr<ports::Carts> make_redis_carts(redis::Client& client, std::string prefix,
                                               std::chrono::milliseconds ttl);

}  // namespace orderflow::backends
