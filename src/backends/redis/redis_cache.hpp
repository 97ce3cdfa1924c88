#pragma once
#include <memory>
#include <string>

#include "core/ports/cache.hpp"
#include "drivers/redis/client.hpp"

namespace orderflow::backends {

// The cache in Redis, shared by every process configured with the same Redis and key prefix
// (its design: redis_cache.cpp).
std::unique_ptr<cache::Cache> make_redis_cache(redis::Client& client, std::string prefix);

}  // namespace orderflow::backends
