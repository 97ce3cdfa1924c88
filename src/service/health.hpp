#pragma once
#include <boost/asio/awaitable.hpp>
#include <boost/json/object.hpp>

#include <chrono>
#include <functional>
#include <mutex>
#include <string>
#include <vector>

#include "core/ports/cache.hpp"
#include "core/ports/health_probe.hpp"
#include "core/ports/queue.hpp"

namespace boost::asio {
class io_context;
}

namespace orderflow::obs {

struct DependencyCheck {
  std::string status;  // connected | disconnected | disabled
  double latency_ms = 0;
  std::string error;
};

struct ReplicaCheck {
  std::string name;
  DependencyCheck check;
};
// Checks every read replica now.
using ReplicaProbe = std::function<boost::asio::awaitable<std::vector<ReplicaCheck>>()>;

// Checks the dependencies in the background (for /health, which does no I/O) and on demand
// with a deadline (for /api/health).
class HealthMonitor {
 public:
  // cache: null when caching is off.
  HealthMonitor(ports::HealthProbe& database, queue::Queue& queue, cache::Cache* cache)
      : database_(database), queue_(queue), cache_(cache) {
    last_.cache.status = cache ? "connected" : "disabled";
  }

  // Read replicas, when there are any: one that is down degrades the service (the primary
  // serves its reads).
  void watch_replicas(ReplicaProbe probe) { replica_probe_ = std::move(probe); }

  void start(boost::asio::io_context& io, std::chrono::milliseconds every);
  void stop() { stopping_ = true; }

  struct Report {
    DependencyCheck database, queue, cache;
    std::int64_t queue_depth = 0;
    std::vector<ReplicaCheck> replicas;
    // The cache and replicas are optimisations: without them the service is degraded, not down.
    bool healthy() const { return database.status == "connected" && queue.status == "connected"; }
    bool degraded() const {
      if (!healthy() || cache.status == "disconnected") return true;
      for (const auto& r : replicas)
        if (r.check.status != "connected") return true;
      return false;
    }
  };
  boost::asio::awaitable<Report> check_now(std::chrono::milliseconds deadline);
  Report last() const;

 private:
  boost::asio::awaitable<void> loop(std::chrono::milliseconds every);

  ports::HealthProbe& database_;
  queue::Queue& queue_;
  cache::Cache* cache_;
  ReplicaProbe replica_probe_;
  mutable std::mutex mutex_;
  Report last_{{"connected", 0, {}}, {"connected", 0, {}}, {"disabled", 0, {}}, 0, {}};
  bool stopping_ = false;
};

}  // namespace orderflow::obs
