#include "service/handler_stats.hpp"

#include <algorithm>
#include <cmath>

namespace orderflow::service {

namespace json = boost::json;

void LatencyWindow::record(double ms) {
  std::lock_guard lock(mutex_);
  samples_[next_] = ms;
  next_ = (next_ + 1) % samples_.size();
  size_ = std::min(size_ + 1, samples_.size());
  ++count_;
}

json::object LatencyWindow::percentiles() const {
  std::vector<double> v;
  std::uint64_t count;
  {
    std::lock_guard lock(mutex_);
    v.assign(samples_.begin(), samples_.begin() + static_cast<std::ptrdiff_t>(size_));
    count = count_;
  }
  json::object o{{"count", count}};
  if (v.empty()) {
    o["p50"] = o["p95"] = o["p99"] = nullptr;
    return o;
  }
  std::sort(v.begin(), v.end());
  const auto at = [&](double q) {
    const auto i = static_cast<std::size_t>(std::ceil(q * static_cast<double>(v.size()))) - 1;
    return std::round(v[std::min(i, v.size() - 1)] * 1000.0) / 1000.0;
  };
  o["p50"] = at(0.50);
  o["p95"] = at(0.95);
  o["p99"] = at(0.99);
  return o;
}

void HandlerStats::record_batch(const ports::BatchResult& r, double apply_ms,
                                const std::vector<double>& end_to_end_ms) {
  {
    std::lock_guard lock(mutex_);
    ++batches_;
    processed_ += static_cast<std::int64_t>(r.applied.size());
    failed_ += static_cast<std::int64_t>(r.failed.size());
    stale_ += static_cast<std::int64_t>(r.stale.size());
    already_applied_ += static_cast<std::int64_t>(r.already_applied.size());
    for (const auto& [type, n] : r.events_by_type) events_[type] += n;
  }
  if (!r.applied.empty()) {
    apply_ms_.record(apply_ms);
    apply_seconds_.observe(apply_ms / 1000);
  }
  for (double ms : end_to_end_ms) {
    end_to_end_ms_.record(ms);
    processing_seconds_.observe(ms / 1000);
  }
}

HandlerStats::Totals HandlerStats::totals() const {
  std::lock_guard lock(mutex_);
  return {batches_, processed_, failed_, stale_, already_applied_, events_};
}

json::object HandlerStats::to_json() const {
  json::object events;
  json::object o;
  {
    std::lock_guard lock(mutex_);
    for (const auto& [type, n] : events_) events[type] = n;
    o = {{"batches", batches_},
         {"processed", processed_},
         {"failed", failed_},
         {"stale", stale_},
         {"already_applied", already_applied_}};
  }
  o["events_by_type"] = std::move(events);
  o["batch_apply_ms"] = apply_ms_.percentiles();
  o["processing_latency_ms"] = end_to_end_ms_.percentiles();
  return o;
}

}  // namespace orderflow::service
