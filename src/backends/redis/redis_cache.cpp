#include "backends/redis/redis_cache.hpp"

#include <algorithm>

#include "base/log.hpp"
#include "drivers/redis/script.hpp"

namespace orderflow::backends {

namespace asio = boost::asio;
using redis::Command;

namespace {
// Sets the entry unless the key's generation moved on since the lookup that read the value.
const redis::Script kFill(
    "if ARGV[3] == 'any' or (redis.call('GET', KEYS[2]) or '0') == ARGV[3] then "
    "redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2]) end return 1");
// Generations outlive any request that could still carry an older one.
constexpr const char* kGenerationTtlMs = "600000";

std::string glob_escape(const std::string& s) {
  std::string out;
  for (char c : s) {
    if (c == '*' || c == '?' || c == '[' || c == ']' || c == '\\') out += '\\';
    out += c;
  }
  return out;
}

struct ScanPage {
  std::string cursor;  // "0" once the scan is complete
  std::vector<std::string> keys;
};

// One SCAN step over the keys matching `pattern` (a glob).
asio::awaitable<ScanPage> scan_page(redis::Client& client, std::string cursor,
                                    std::string pattern) {
  Command scan{"SCAN", std::move(cursor), "MATCH", std::move(pattern), "COUNT", "1000"};
  auto r = co_await client.command(std::move(scan));
  ScanPage page{std::move(r.elements.at(0).str), {}};
  for (auto& k : r.elements.at(1).elements) page.keys.push_back(std::move(k.str));
  co_return page;
}

std::int64_t info_field(const std::string& info, const std::string& name) {
  const auto at = info.find(name + ":");
  if (at == std::string::npos) return 0;
  return std::stoll(info.substr(at + name.size() + 1));
}

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
  RedisCache(redis::Client& client, std::string prefix)
      : client_(client), prefix_(std::move(prefix)) {}

  asio::awaitable<cache::Lookup> get(std::string key,
                                     std::optional<cache::milliseconds> slide) override {
    if (!co_await usable()) {
      ++misses_;
      co_return cache::Lookup{std::nullopt, 0};
    }
    std::vector<Command> cmds;
    cmds.push_back({"GET", entry(key)});
    cmds.push_back({"GET", generation(key)});
    if (slide) cmds.push_back({"PEXPIRE", entry(key), std::to_string(slide->count())});
    std::vector<redis::Reply> r;
    try {
      r = co_await client_.pipeline(std::move(cmds));
    } catch (const redis::ConnectionError&) {
      // Down: a miss, and a stamp no fill can match (the fill is skipped anyway).
    }
    cache::Lookup out;
    if (r.empty()) {
      ++misses_;
      out.stamp = 0;
      co_return out;
    }
    if (r[0].type == redis::Reply::Type::string) out.value = std::move(r[0].str);
    const auto gen = r[1].text();
    out.stamp = gen ? std::stoull(*gen) : 0;
    ++(out.value ? hits_ : misses_);
    co_return out;
  }

  asio::awaitable<void> put(std::string key, std::string value, cache::milliseconds ttl,
                            std::uint64_t stamp) override {
    if (invalidation_lost_) co_return;  // it would be cleared anyway
    std::vector<Command> calls;
    calls.push_back(
        kFill.call({entry(key), generation(key)},
                   {std::move(value), std::to_string(std::max<std::int64_t>(1, ttl.count())),
                    stamp == cache::kUnconditional ? "any" : std::to_string(stamp)}));
    try {
      co_await kFill.run(client_, std::move(calls));
    } catch (const redis::ConnectionError&) {
      // A fill is an optimisation: skipped while Redis is down.
    }
  }

  asio::awaitable<void> invalidate(std::vector<std::string> keys) override {
    if (keys.empty()) co_return;
    std::vector<Command> cmds;
    for (const auto& k : keys) {
      cmds.push_back({"DEL", entry(k)});
      cmds.push_back({"INCR", generation(k)});
      cmds.push_back({"PEXPIRE", generation(k), kGenerationTtlMs});
    }
    try {
      co_await client_.pipeline(std::move(cmds));
    } catch (const redis::ConnectionError&) {
      invalidation_lost_ = true;
    }
  }

  asio::awaitable<cache::Stats> stats() override {
    cache::Stats s;
    s.backend = "redis";
    s.hits = hits_;
    s.misses = misses_;
    // Server-wide figures: Redis does not split them by prefix.
    std::vector<Command> cmds;
    cmds.push_back({"INFO", "stats"});
    cmds.push_back({"INFO", "memory"});
    const auto info = co_await client_.pipeline(std::move(cmds));
    s.evictions = info_field(info.at(0).str, "evicted_keys");
    s.memory_bytes = info_field(info.at(1).str, "used_memory");
    const auto pattern = glob_escape(prefix_ + "c:") + "*";
    std::string cursor = "0";
    do {
      auto page = co_await scan_page(client_, cursor, pattern);
      cursor = std::move(page.cursor);
      s.keys += static_cast<std::int64_t>(page.keys.size());
    } while (cursor != "0");
    co_return s;
  }

  asio::awaitable<cache::KeyList> keys(std::string prefix, std::size_t limit) override {
    cache::KeyList out;
    const auto namespace_len = prefix_.size() + 2;
    const auto pattern = glob_escape(prefix_ + "c:" + prefix) + "*";
    std::string cursor = "0";
    do {
      auto page = co_await scan_page(client_, cursor, pattern);
      cursor = std::move(page.cursor);
      for (const auto& k : page.keys) {
        if (out.keys.size() == limit) {
          out.truncated = true;
          break;
        }
        out.keys.push_back(k.substr(namespace_len));
      }
    } while (cursor != "0" && !out.truncated);
    std::sort(out.keys.begin(), out.keys.end());
    co_return out;
  }

  asio::awaitable<std::int64_t> clear() override {
    // Entries and generations alike: only this service's prefix.
    const auto pattern = glob_escape(prefix_) + "[cg]:*";
    std::int64_t cleared = 0;
    std::string cursor = "0";
    do {
      auto page = co_await scan_page(client_, cursor, pattern);
      cursor = std::move(page.cursor);
      Command unlink{"UNLINK"};
      for (auto& k : page.keys) {
        if (k.compare(prefix_.size(), 2, "c:") == 0) ++cleared;
        unlink.push_back(std::move(k));
      }
      if (unlink.size() > 1) co_await client_.command(std::move(unlink));
    } while (cursor != "0");
    co_return cleared;
  }

  asio::awaitable<void> ping() override {
    redis::Command ping{"PING"};
    co_await client_.command(std::move(ping));
  }

 private:
  std::string entry(const std::string& key) const { return prefix_ + "c:" + key; }
  std::string generation(const std::string& key) const { return prefix_ + "g:" + key; }
  // False while a lost invalidation is not yet made good (tries to, first).
  asio::awaitable<bool> usable() {
    if (!invalidation_lost_) co_return true;
    // An invalidation was lost while Redis was unreachable: an entry may be stale. Until this
    // process has cleared its prefix (once Redis answers again), the cache is not used.
    if (clearing_.exchange(true)) co_return false;
    bool cleared = false;
    try {
      const auto n = co_await clear();
      log::warn("redis answers again: cache cleared, since invalidations were lost",
                {{"cleared", n}});
      cleared = true;
    } catch (const std::exception&) {
    }
    if (cleared) invalidation_lost_ = false;
    clearing_ = false;
    co_return cleared;
  }

  redis::Client& client_;
  std::string prefix_;
  std::atomic<std::int64_t> hits_{0}, misses_{0};
  std::atomic<bool> invalidation_lost_{false}, clearing_{false};
};
}  // namespace

std::unique_ptr<cache::Cache> make_redis_cache(redis::Client& client, std::string prefix) {
  return std::make_unique<RedisCache>(client, std::move(prefix));
}

}  // namespace orderflow::backends
