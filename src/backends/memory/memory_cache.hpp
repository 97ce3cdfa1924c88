#pragma once
#include <array>
#include <atomic>
#include <list>
#include <mutex>
#include <unordered_map>

#include "core/ports/cache.hpp"

namespace orderflow::backends {

// In-process cache: 16 shards, each an LRU list under its own mutex, with TTLs and a memory
// budget (keys + values + a fixed per-entry overhead) split across the shards.
class MemoryCache final : public cache::Cache {
 public:
  explicit MemoryCache(std::size_t max_bytes = 64 * 1024 * 1024);

  boost::asio::awaitable<cache::Lookup> get(std::string key,
                                            std::optional<cache::milliseconds> slide) override;
  boost::asio::awaitable<void> put(std::string key, std::string value, cache::milliseconds ttl,
                                   std::uint64_t stamp) override;
  boost::asio::awaitable<void> invalidate(std::vector<std::string> keys) override;
  boost::asio::awaitable<cache::Stats> stats() override;
  boost::asio::awaitable<cache::KeyList> keys(std::string prefix, std::size_t limit) override;
  boost::asio::awaitable<std::int64_t> clear() override;
  boost::asio::awaitable<void> ping() override;

  // The synchronous core, also used by the awaitable wrappers.
  cache::Lookup get_now(const std::string& key, std::optional<cache::milliseconds> slide);
  void put_now(std::string key, std::string value, cache::milliseconds ttl, std::uint64_t stamp);
  void invalidate_now(const std::string& key);

 private:
  struct Entry {
    std::string key, value;
    std::int64_t expires_at = 0;
  };
  struct Shard {
    std::mutex mutex;
    std::list<Entry> lru;  // most recent first
    std::unordered_map<std::string, std::list<Entry>::iterator> index;
    // Recent invalidations (key → stamp), so that a fill read before one is refused. Bounded:
    // when full it is emptied and `forgotten_up_to` refuses every fill read before that
    // (a few needless misses instead of memory that grows with the write rate).
    std::unordered_map<std::string, std::uint64_t> invalidated;
    std::uint64_t forgotten_up_to = 0;
    std::size_t bytes = 0;
  };
  static constexpr std::size_t kShards = 16;
  static constexpr std::size_t kRememberedInvalidations = 4096;  // per shard
  Shard& shard_for(const std::string& key);
  void erase(Shard& s, std::list<Entry>::iterator it);
  // Refuses every fill read before `up_to` instead of remembering invalidations one by one.
  static void forget_invalidations(Shard& s, std::uint64_t up_to);

  std::array<Shard, kShards> shards_;
  std::size_t max_bytes_per_shard_;
  std::atomic<std::uint64_t> clock_{1};
  std::atomic<std::int64_t> hits_{0}, misses_{0}, evictions_{0};
};

// CACHE_BACKEND=off: every lookup misses, nothing is kept.
class NullCache final : public cache::Cache {
 public:
  boost::asio::awaitable<cache::Lookup> get(std::string,
                                            std::optional<cache::milliseconds>) override;
  boost::asio::awaitable<void> put(std::string, std::string, cache::milliseconds,
                                   std::uint64_t) override;
  boost::asio::awaitable<void> invalidate(std::vector<std::string>) override;
  boost::asio::awaitable<cache::Stats> stats() override;
  boost::asio::awaitable<cache::KeyList> keys(std::string, std::size_t) override;
  boost::asio::awaitable<std::int64_t> clear() override;
  boost::asio::awaitable<void> ping() override;

 private:
  std::atomic<std::int64_t> misses_{0};
};

}  // namespace orderflow::backends
