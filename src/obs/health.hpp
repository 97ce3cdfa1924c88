#pragma once
#include <boost/asio/awaitable.hpp>
#include <boost/json/object.hpp>

#include <chrono>
#include <mutex>
#include <string>

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
  HealthMonitor(store::Store& store, queue::Queue& queue) : store_(store), queue_(queue) {}

  void start(boost::asio::io_context& io, std::chrono::milliseconds every);
  void stop() { stopping_ = true; }

  struct Report {
    DependencyCheck database, queue, cache;
    std::int64_t queue_depth = 0;
    bool healthy() const { return database.status == "connected" && queue.status == "connected"; }
  };
  boost::asio::awaitable<Report> check_now(std::chrono::milliseconds deadline);
  Report last() const;

 private:
  boost::asio::awaitable<void> loop(std::chrono::milliseconds every);

  store::Store& store_;
  queue::Queue& queue_;
  mutable std::mutex mutex_;
  Report last_{{"connected", 0, {}}, {"connected", 0, {}}, {"disabled", 0, {}}, 0};
  bool stopping_ = false;
};

}  // namespace orderflow::obs
