#pragma once
#include <boost/json/object.hpp>

#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <vector>

#include "base/metrics.hpp"
#include "core/ports/batch_applier.hpp"

namespace orderflow::service {

// Percentiles over the most recent samples (a fixed ring), cheap to record on the hot path.
class LatencyWindow {
 public:
  explicit LatencyWindow(std::size_t capacity = 8192) : samples_(capacity) {}
  void record(double ms);
  boost::json::object percentiles() const;  // {"count","p50","p95","p99"}

 private:
  mutable std::mutex mutex_;
  std::vector<double> samples_;
  std::size_t next_ = 0, size_ = 0;
  std::uint64_t count_ = 0;
};

// What the worker has done since the process started.
class HandlerStats {
 public:
  void record_batch(const ports::BatchResult& r, double apply_ms,
                    const std::vector<double>& end_to_end_ms);
  boost::json::object to_json() const;

  // For /metrics.
  struct Totals {
    std::int64_t batches = 0, processed = 0, failed = 0, stale = 0, already_applied = 0;
    std::map<std::string, std::int64_t> events;
  };
  Totals totals() const;
  // A receive that got messages: with a backlog it never waits, so it times the queue's receive.
  void record_receive(double ms) { receive_seconds_.observe(ms / 1000); }

  // Accepted → applied, the apply transaction of a batch, and a receive that got messages
  // (seconds).
  const obs::Histogram& processing_latency() const { return processing_seconds_; }
  const obs::Histogram& batch_apply() const { return apply_seconds_; }
  const obs::Histogram& receive() const { return receive_seconds_; }

 private:
  mutable std::mutex mutex_;
  std::int64_t batches_ = 0, processed_ = 0, failed_ = 0, stale_ = 0, already_applied_ = 0;
  std::map<std::string, std::int64_t> events_;
  LatencyWindow apply_ms_, end_to_end_ms_;
  obs::Histogram apply_seconds_, processing_seconds_, receive_seconds_;
};

}  // namespace orderflow::service
