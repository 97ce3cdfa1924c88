#include "backends/memory/memory_cache.hpp"

#include <algorithm>
#include <functional>

#include "base/time.hpp"

namespace orderflow::backends {

namespace asio = boost::asio;

namespace {
// Bookkeeping per entry beyond its key and value (list node, index slot, strings' headers).
constexpr std::size_t kEntryOverhead = 128;

std::size_t entry_size(const std::string& key, const std::string& value) {
  return key.size() + value.size() + kEntryOverhead;
}
}  // namespace

MemoryCache::MemoryCache(std::size_t max_bytes)
    : max_bytes_per_shard_(std::max<std::size_t>(max_bytes / kShards, 4096)) {}

MemoryCache::Shard& MemoryCache::shard_for(const std::string& key) {
  return shards_[std::hash<std::string>{}(key) % kShards];
}

void MemoryCache::erase(Shard& s, std::list<Entry>::iterator it) {
  s.bytes -= entry_size(it->key, it->value);
  s.index.erase(it->key);
  s.lru.erase(it);
}

cache::Lookup MemoryCache::get_now(const std::string& key,
                                   std::optional<cache::milliseconds> slide) {
  auto& s = shard_for(key);
  std::lock_guard lock(s.mutex);
  cache::Lookup out{std::nullopt, clock_.load()};
  auto it = s.index.find(key);
  const auto now = now_ms();
  if (it == s.index.end() || it->second->expires_at <= now) {
    if (it != s.index.end()) erase(s, it->second);
    ++misses_;
    return out;
  }
  s.lru.splice(s.lru.begin(), s.lru, it->second);
  if (slide) it->second->expires_at = now + slide->count();
  out.value = it->second->value;
  ++hits_;
  return out;
}

void MemoryCache::put_now(std::string key, std::string value, cache::milliseconds ttl,
                          std::uint64_t stamp) {
  auto& s = shard_for(key);
  std::lock_guard lock(s.mutex);
  const auto now = now_ms();
  if (stamp < s.forgotten_up_to) return;  // read before an invalidation no longer remembered
  if (auto inv = s.invalidated.find(key); inv != s.invalidated.end()) {
    if (inv->second > stamp) return;  // read before the last invalidation: stale
    s.invalidated.erase(inv);
  }
  if (auto it = s.index.find(key); it != s.index.end()) erase(s, it->second);
  const auto size = entry_size(key, value);
  if (size > max_bytes_per_shard_) return;
  s.lru.push_front({key, std::move(value), now + ttl.count()});
  s.index.emplace(std::move(key), s.lru.begin());
  s.bytes += size;
  while (s.bytes > max_bytes_per_shard_) {
    erase(s, std::prev(s.lru.end()));
    ++evictions_;
  }
}

void MemoryCache::forget_invalidations(Shard& s, std::uint64_t up_to) {
  s.invalidated.clear();
  s.forgotten_up_to = up_to;
}

void MemoryCache::invalidate_now(const std::string& key) {
  auto& s = shard_for(key);
  std::lock_guard lock(s.mutex);
  if (auto it = s.index.find(key); it != s.index.end()) erase(s, it->second);
  // Remember the invalidation (the clock is a counter, its value stands for "now") so that a
  // fill read earlier is refused. A worker draining a backlog invalidates thousands of keys a
  // second: a time window kept ~700k of them (130 MB) and its pruning scan took 67 % of the
  // drain's samples; a bounded map and a floor cost neither.
  const auto stamp = ++clock_;
  s.invalidated[key] = stamp;
  if (s.invalidated.size() > kRememberedInvalidations) forget_invalidations(s, stamp);
}

asio::awaitable<cache::Lookup> MemoryCache::get(std::string key,
                                                std::optional<cache::milliseconds> slide) {
  co_return get_now(key, slide);
}

asio::awaitable<void> MemoryCache::put(std::string key, std::string value, cache::milliseconds ttl,
                                       std::uint64_t stamp) {
  put_now(std::move(key), std::move(value), ttl, stamp);
  co_return;
}

asio::awaitable<void> MemoryCache::invalidate(std::vector<std::string> keys) {
  for (const auto& k : keys) invalidate_now(k);
  co_return;
}

asio::awaitable<cache::Stats> MemoryCache::stats() {
  cache::Stats st{"memory", hits_.load(), misses_.load(), 0, evictions_.load(), 0};
  for (auto& s : shards_) {
    std::lock_guard lock(s.mutex);
    st.keys += static_cast<std::int64_t>(s.index.size());
    st.memory_bytes += static_cast<std::int64_t>(s.bytes);
  }
  co_return st;
}

asio::awaitable<cache::KeyList> MemoryCache::keys(std::string prefix, std::size_t limit) {
  cache::KeyList out;
  const auto now = now_ms();
  for (auto& s : shards_) {
    std::lock_guard lock(s.mutex);
    for (const auto& e : s.lru) {
      if (e.expires_at <= now || e.key.compare(0, prefix.size(), prefix) != 0) continue;
      if (out.keys.size() == limit) {
        out.truncated = true;
        break;
      }
      out.keys.push_back(e.key);
    }
  }
  std::sort(out.keys.begin(), out.keys.end());
  co_return out;
}

asio::awaitable<std::int64_t> MemoryCache::clear() {
  std::int64_t n = 0;
  for (auto& s : shards_) {
    std::lock_guard lock(s.mutex);
    n += static_cast<std::int64_t>(s.index.size());
    // Entries being filled right now were read before the clear: refuse them.
    forget_invalidations(s, ++clock_);
    s.lru.clear();
    s.index.clear();
    s.bytes = 0;
  }
  co_return n;
}

asio::awaitable<cache::Lookup> NullCache::get(std::string, std::optional<cache::milliseconds>) {
  ++misses_;
  co_return cache::Lookup{};
}
asio::awaitable<void> NullCache::put(std::string, std::string, cache::milliseconds, std::uint64_t) {
  co_return;
}
asio::awaitable<void> NullCache::invalidate(std::vector<std::string>) {
  co_return;
}
asio::awaitable<void> MemoryCache::ping() {
  co_return;
}
asio::awaitable<void> NullCache::ping() {
  co_return;
}

asio::awaitable<cache::Stats> NullCache::stats() {
  co_return cache::Stats{"off", 0, misses_.load(), 0, 0, 0};
}
asio::awaitable<cache::KeyList> NullCache::keys(std::string, std::size_t) {
  co_return cache::KeyList{};
}
asio::awaitable<std::int64_t> NullCache::clear() {
  co_return 0;
}

}  // namespace orderflow::backends
