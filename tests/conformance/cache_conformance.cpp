// The cache contract, run against every cache backend.
#include <gtest/gtest.h>

#include <cstdlib>

#include "backends.hpp"
#include "backends/memory/memory_cache.hpp"
#include "backends/redis/redis_cache.hpp"
#include "base/ids.hpp"

namespace orderflow::testing {
namespace {

using namespace std::chrono_literals;

struct MemoryCacheBackend {
  static constexpr const char* kName = "memory";
  explicit MemoryCacheBackend(asio::io_context&) {}
  cache::Cache& cache() { return memory; }
  backends::MemoryCache memory{1 << 20};
};

// The Redis of REDIS_URL (scripts/services starts one); each test under a prefix of its own.
struct RedisCacheBackend {
  static constexpr const char* kName = "redis";
  explicit RedisCacheBackend(asio::io_context& io)
      : io(io),
        client(io.get_executor(), redis_from_env()),
        redis(backends::make_redis_cache(client, "test:" + uuid_v7() + ":")) {}
  ~RedisCacheBackend() { run(io, redis->clear()); }
  cache::Cache& cache() { return *redis; }
  asio::io_context& io;
  redis::Client client;
  std::unique_ptr<cache::Cache> redis;
};

template <typename Backend>
class CacheConformance : public ::testing::Test {
 protected:
  cache::Cache& c() { return backend_.cache(); }
  template <typename T>
  T await(asio::awaitable<T> op) {
    return run(io_, std::move(op));
  }
  void await(asio::awaitable<void> op) { run(io_, std::move(op)); }
  cache::Lookup get(const std::string& k, std::optional<std::chrono::milliseconds> slide = {}) {
    return await(c().get(k, slide));
  }
  void put(const std::string& k, const std::string& v, std::chrono::milliseconds ttl = 60s,
           std::uint64_t stamp = cache::kUnconditional) {
    await(c().put(k, v, ttl, stamp));
  }

  asio::io_context io_;
  Backend backend_{io_};
};

using CacheBackends = ::testing::Types<MemoryCacheBackend, RedisCacheBackend>;
TYPED_TEST_SUITE(CacheConformance, CacheBackends, BackendNames);

TYPED_TEST(CacheConformance, MissThenHit) {
  EXPECT_FALSE(this->get("k").value);
  this->put("k", "v");
  EXPECT_EQ(this->get("k").value, "v");
  const auto s = this->await(this->c().stats());
  EXPECT_EQ(s.hits, 1);
  EXPECT_EQ(s.misses, 1);
  EXPECT_EQ(s.keys, 1);
  EXPECT_GT(s.memory_bytes, 0);
}

TYPED_TEST(CacheConformance, EntriesExpire) {
  this->put("k", "v", 150ms);
  EXPECT_TRUE(this->get("k").value);
  sleep_ms(250);
  EXPECT_FALSE(this->get("k").value);
}

TYPED_TEST(CacheConformance, SlidingTtlIsRefreshedByReads) {
  this->put("k", "v", 300ms);
  for (int i = 0; i < 4; ++i) {
    sleep_ms(150);
    EXPECT_TRUE(this->get("k", 300ms).value) << "read " << i;
  }
  sleep_ms(450);
  EXPECT_FALSE(this->get("k", 300ms).value);
}

TYPED_TEST(CacheConformance, InvalidateRemoves) {
  this->put("a", "1");
  this->put("b", "2");
  this->await(this->c().invalidate({"a", "missing"}));
  EXPECT_FALSE(this->get("a").value);
  EXPECT_EQ(this->get("b").value, "2");
}

TYPED_TEST(CacheConformance, AFillReadBeforeAnInvalidationIsRefused) {
  const auto miss = this->get("k");          // a reader misses and goes to the database...
  this->await(this->c().invalidate({"k"}));  // ...a writer commits and invalidates...
  this->put("k", "stale", 60s, miss.stamp);  // ...the reader's old data must not land
  EXPECT_FALSE(this->get("k").value);
  const auto later = this->get("k");  // a read after the write may fill
  this->put("k", "fresh", 60s, later.stamp);
  EXPECT_EQ(this->get("k").value, "fresh");
}

TYPED_TEST(CacheConformance, KeysByPrefixAndClear) {
  for (int i = 0; i < 5; ++i) this->put("product:" + std::to_string(i), "x");
  this->put("order:1", "y");
  auto keys = this->await(this->c().keys("product:", 3));
  EXPECT_EQ(keys.keys.size(), 3u);
  EXPECT_TRUE(keys.truncated);
  keys = this->await(this->c().keys("product:", 100));
  EXPECT_EQ(keys.keys.size(), 5u);
  EXPECT_FALSE(keys.truncated);
  EXPECT_EQ(this->await(this->c().keys("", 100)).keys.size(), 6u);
  EXPECT_EQ(this->await(this->c().clear()), 6);
  EXPECT_FALSE(this->get("order:1").value);
  EXPECT_EQ(this->await(this->c().stats()).keys, 0);
}

TEST(MemoryCache, EvictsLeastRecentlyUsedWithinItsBudget) {
  backends::MemoryCache c(16 * 8192);  // 8 KiB per shard
  const std::string big(2000, 'x');
  for (int i = 0; i < 400; ++i) c.put_now("k" + std::to_string(i), big, 60s, cache::kUnconditional);
  asio::io_context io;
  const auto s = run(io, c.stats());
  EXPECT_GT(s.evictions, 0);
  EXPECT_LE(s.memory_bytes, 16 * 8192);
  EXPECT_TRUE(c.get_now("k399", std::nullopt).value) << "the newest entry stays";
  EXPECT_FALSE(c.get_now("k0", std::nullopt).value) << "the oldest went first";
}

}  // namespace
}  // namespace orderflow::testing
