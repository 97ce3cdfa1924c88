#pragma once
#include <array>
#include <chrono>
#include <cstddef>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

namespace orderflow::http {

// A token bucket per client (RATE_LIMIT_RPS, RATE_LIMIT_BURST): each client may send `burst`
// requests at once and `rate` per second after that. Per process: N processes behind a load
// balancer allow N times the rate. The table of clients is bounded: past `max_clients`, buckets
// that have refilled are forgotten first (a forgotten bucket is a full one, so that changes
// nothing), then a whole shard if every client in it is active.
class RateLimiter {
 public:
  using Clock = std::chrono::steady_clock;
  RateLimiter(double rate_per_second, double burst, std::size_t max_clients = 100'000);

  // Takes a token for `client`; when there is none, how long until there is one.
  std::optional<std::chrono::milliseconds> acquire(std::string_view client,
                                                   Clock::time_point now = Clock::now());

  std::size_t clients() const;

 private:
  struct Bucket {
    double tokens;
    Clock::time_point last;
  };
  struct Shard {
    mutable std::mutex mutex;
    std::unordered_map<std::string, Bucket> buckets;
  };
  void make_room(Shard& shard, Clock::time_point now);

  double rate_, burst_;
  std::size_t max_per_shard_;
  std::array<Shard, 16> shards_;
};

}  // namespace orderflow::http
