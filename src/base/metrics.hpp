#pragma once
// Metrics kept in process for /metrics: histograms with fixed buckets, HTTP request series by
// route template and status class, and a writer of the Prometheus text format (0.0.4).
#include <array>
#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <shared_mutex>
#include <string>
#include <string_view>
#include <tuple>
#include <utility>
#include <vector>

namespace orderflow::obs {

// Latency buckets in seconds, from 1 ms to 10 s.
inline constexpr std::array<double, 14> kLatencyBuckets{
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30};

// Counts observations per bucket; lock-free to record.
class Histogram {
 public:
  Histogram() = default;
  void observe(double seconds);

  struct Snapshot {
    std::array<std::uint64_t, kLatencyBuckets.size()> cumulative{};  // ≤ each bound
    std::uint64_t count = 0;
    double sum = 0;
  };
  Snapshot snapshot() const;

 private:
  std::array<std::atomic<std::uint64_t>, kLatencyBuckets.size() + 1> buckets_{};  // last: +Inf
  std::atomic<double> sum_{0};
};

// Requests by method, route template and status class ("2xx"…"5xx"), each with a latency
// histogram. Every label comes from a bounded set, whatever clients send: a method outside
// the standard ones is "other", a path no route matched is "unmatched".
class HttpMetrics {
 public:
  void record(std::string_view method, std::string_view route, int status, double seconds);

  struct Series {
    std::string method, route, status_class;
    Histogram::Snapshot latency;
  };
  std::vector<Series> snapshot() const;

 private:
  using Key = std::tuple<std::string, std::string, std::string>;
  mutable std::shared_mutex mutex_;
  std::map<Key, std::unique_ptr<Histogram>, std::less<>> series_;
};

// A connection pool's gauges: slots, connected ones, ones leased for a transaction, and
// statements in flight (pipelined) over all of them.
struct PoolGauge {
  std::string pool;  // "primary"
  std::size_t size = 0, connected = 0, leased = 0, in_flight = 0;
};

using Labels = std::vector<std::pair<std::string, std::string>>;

// Writes families in the Prometheus text exposition format, version 0.0.4.
class PrometheusText {
 public:
  // Starts a family: its HELP and TYPE lines (type: counter, gauge or histogram).
  void family(std::string_view name, std::string_view type, std::string_view help);
  void sample(std::string_view name, const Labels& labels, double value);
  // The _bucket, _sum and _count samples of a histogram family.
  void histogram(std::string_view name, const Labels& labels, const Histogram::Snapshot& h);
  const std::string& text() const { return out_; }

 private:
  std::string out_;
};

}  // namespace orderflow::obs
