#pragma once
#include <boost/asio/awaitable.hpp>
#include <boost/json/object.hpp>

#include <chrono>
#include <mutex>
#include <string>

#include "cache/cache.hpp"
#include "queue/queue.hpp"
#include "store/store.hpp"

namespace boost::asio {
class io_context;
}

namespace orderflow::obs {

struct DependencyCheck {
  std::string status;  // connected | disconnected | disabled
  double latency_ms = 0;
  std::string error;
};

// Checks the dependencies in the background (for /health, which does no I/O) and on demand
// with a deadline (for /api/health).
class HealthMonitor {
 public:
  // cache: null when caching is off.
  HealthMonitor(store::Store& store, queue::Queue& queue, cache::Cache* cache)
      : store_(store), queue_(queue), cache_(cache) {
    last_.cache.status = cache ? "connected" : "disabled";
  }

  void start(boost::asio::io_context& io, std::chrono::milliseconds every);
  void stop() { stopping_ = true; }

  struct Report {
    DependencyCheck database, queue, cache;
    std::int64_t queue_depth = 0;
    // The cache is an optimisation: without it the service is degraded, not down.
    bool healthy() const { return database.status == "connected" && queue.status == "connected"; }
    bool degraded() const { return !healthy() || cache.status == "disconnected"; }
  };
  boost::asio::awaitable<Report> check_now(std::chrono::milliseconds deadline);
  Report last() const;

 private:
  boost::asio::awaitable<void> loop(std::chrono::milliseconds every);

  store::Store& store_;
  queue::Queue& queue_;
  cache::Cache* cache_;
  mutable std::mutex mutex_;
  Report last_{{"connected", 0, {}}, {"connected", 0, {}}, {"disabled", 0, {}}, 0};
  bool stopping_ = false;
};

}  // namespace orderflow::obs
