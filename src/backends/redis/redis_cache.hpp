#pragma once
#include <atomic>

#include "core/ports/cache.hpp"
#include "drivers/redis/client.hpp"

namespace orderflow::backends {

// The cache in Redis, shared by every process configured with the same Redis and key prefix.
// Entries are "<prefix>c:<key>". An invalidation also bumps "<prefix>g:<key>", the key's
// generation: a lookup returns it as its stamp, and a fill carrying an older one is dropped
// (one Lua script), so a reader cannot put back what a concurrent write just invalidated, even
// from another process.
//
// Redis down: lookups miss, fills and invalidations are skipped, stats/keys/clear throw (503).
// An invalidation that could not be sent may leave a stale entry behind, so this process stops
// using the cache until it has cleared its prefix, which it does as soon as Redis answers again.
class RedisCache final : public cache::Cache {
 public:
  RedisCache(redis::Client& client, std::string prefix);

  boost::asio::awaitable<cache::Lookup> get(std::string key,
                                            std::optional<cache::milliseconds> slide) override;
  boost::asio::awaitable<void> put(std::string key, std::string value, cache::milliseconds ttl,
                                   std::uint64_t stamp) override;
  boost::asio::awaitable<void> invalidate(std::vector<std::string> keys) override;
  boost::asio::awaitable<cache::Stats> stats() override;
  boost::asio::awaitable<cache::KeyList> keys(std::string prefix, std::size_t limit) override;
  boost::asio::awaitable<std::int64_t> clear() override;
  boost::asio::awaitable<void> ping() override;

 private:
  std::string entry(const std::string& key) const { return prefix_ + "c:" + key; }
  std::string generation(const std::string& key) const { return prefix_ + "g:" + key; }
  // False while a lost invalidation is not yet made good (tries to, first).
  boost::asio::awaitable<bool> usable();

  redis::Client& client_;
  std::string prefix_;
  std::atomic<std::int64_t> hits_{0}, misses_{0};
  std::atomic<bool> invalidation_lost_{false}, clearing_{false};
};

}  // namespace orderflow::backends
