#include "http/rate_limiter.hpp"

#include <algorithm>
#include <cmath>
#include <functional>

namespace orderflow::http {

RateLimiter::RateLimiter(double rate_per_second, double burst, std::size_t max_clients)
    : rate_(rate_per_second),
      burst_(std::max(1.0, burst)),
      max_per_shard_(std::max<std::size_t>(1, max_clients / 16)) {}

std::optional<std::chrono::milliseconds> RateLimiter::acquire(std::string_view client,
                                                              Clock::time_point now) {
  auto& shard = shards_[std::hash<std::string_view>{}(client) % shards_.size()];
  std::lock_guard lock(shard.mutex);
  auto it = shard.buckets.find(std::string(client));
  if (it == shard.buckets.end()) {
    if (shard.buckets.size() >= max_per_shard_) make_room(shard, now);
    it = shard.buckets.emplace(std::string(client), Bucket{burst_, now}).first;
  }
  auto& b = it->second;
  const double elapsed = std::chrono::duration<double>(now - b.last).count();
  b.tokens = std::min(burst_, b.tokens + std::max(0.0, elapsed) * rate_);
  b.last = std::max(b.last, now);
  if (b.tokens >= 1.0) {
    b.tokens -= 1.0;
    return std::nullopt;
  }
  const double wait_s = (1.0 - b.tokens) / rate_;
  return std::chrono::milliseconds(static_cast<std::int64_t>(std::ceil(wait_s * 1000)));
}

void RateLimiter::make_room(Shard& shard, Clock::time_point now) {
  const auto refill = std::chrono::duration<double>(burst_ / rate_);
  std::erase_if(shard.buckets, [&](const auto& entry) {
    return std::chrono::duration<double>(now - entry.second.last) >= refill;
  });
  if (shard.buckets.size() >= max_per_shard_) shard.buckets.clear();
}

std::size_t RateLimiter::clients() const {
  std::size_t n = 0;
  for (const auto& s : shards_) {
    std::lock_guard lock(s.mutex);
    n += s.buckets.size();
  }
  return n;
}

}  // namespace orderflow::http
