#pragma once
#include <boost/asio/awaitable.hpp>

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace orderflow::cache {

using std::chrono::milliseconds;

struct Lookup {
  std::optional<std::string> value;
  // Taken at lookup: a fill with it is dropped if the key was invalidated since, so that a
  // reader holding data read before a write cannot put it back after the write's invalidation.
  std::uint64_t stamp = 0;
};

// Use as the stamp of a write that must land whatever happened before.
inline constexpr std::uint64_t kUnconditional = UINT64_MAX;

struct Stats {
  std::string backend;
  std::int64_t hits = 0, misses = 0, keys = 0, evictions = 0, memory_bytes = 0;
};

struct KeyList {
  std::vector<std::string> keys;
  bool truncated = false;
};

// A cache-aside store of strings with TTLs. An optimisation only: a miss (or a cache that is
// down) must give the same answers as a hit.
class Cache {
 public:
  virtual ~Cache() = default;
  // With `slide`, a hit pushes the key's expiry to now + slide (sliding TTL).
  virtual boost::asio::awaitable<Lookup> get(std::string key,
                                             std::optional<milliseconds> slide) = 0;
  virtual boost::asio::awaitable<void> put(std::string key, std::string value, milliseconds ttl,
                                           std::uint64_t stamp) = 0;
  virtual boost::asio::awaitable<void> invalidate(std::vector<std::string> keys) = 0;
  virtual boost::asio::awaitable<Stats> stats() = 0;
  virtual boost::asio::awaitable<KeyList> keys(std::string prefix, std::size_t limit) = 0;
  virtual boost::asio::awaitable<std::int64_t> clear() = 0;
  // Throws when the cache cannot be reached (health checks; cheaper than stats()).
  virtual boost::asio::awaitable<void> ping() = 0;
};

}  // namespace orderflow::cache
