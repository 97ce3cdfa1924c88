#include "base/metrics.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <mutex>

namespace orderflow::obs {

void Histogram::observe(double seconds) {
  const auto at = std::lower_bound(kLatencyBuckets.begin(), kLatencyBuckets.end(), seconds);
  buckets_[static_cast<std::size_t>(at - kLatencyBuckets.begin())].fetch_add(
      1, std::memory_order_relaxed);
  sum_.fetch_add(seconds, std::memory_order_relaxed);
}

Histogram::Snapshot Histogram::snapshot() const {
  Snapshot s;
  std::uint64_t running = 0;
  for (std::size_t i = 0; i < kLatencyBuckets.size(); ++i) {
    running += buckets_[i].load(std::memory_order_relaxed);
    s.cumulative[i] = running;
  }
  s.count = running + buckets_.back().load(std::memory_order_relaxed);
  s.sum = sum_.load(std::memory_order_relaxed);
  return s;
}

namespace {
std::string status_class(int status) {
  if (status < 100 || status > 599) return "other";
  return std::to_string(status / 100) + "xx";
}

std::string_view method_label(std::string_view method) {
  static constexpr std::array<std::string_view, 8> kMethods{"GET",    "HEAD",  "POST",    "PUT",
                                                            "DELETE", "PATCH", "OPTIONS", "TRACE"};
  const auto it = std::find(kMethods.begin(), kMethods.end(), method);
  return it == kMethods.end() ? "other" : *it;
}
}  // namespace

void HttpMetrics::record(std::string_view method, std::string_view route, int status,
                         double seconds) {
  Key key{std::string(method_label(method)), route.empty() ? "unmatched" : std::string(route),
          status_class(status)};
  {
    std::shared_lock lock(mutex_);
    if (const auto it = series_.find(key); it != series_.end()) {
      it->second->observe(seconds);
      return;
    }
  }
  std::unique_lock lock(mutex_);
  auto& h = series_[std::move(key)];
  if (!h) h = std::make_unique<Histogram>();
  h->observe(seconds);
}

std::vector<HttpMetrics::Series> HttpMetrics::snapshot() const {
  std::shared_lock lock(mutex_);
  std::vector<Series> out;
  for (const auto& [key, h] : series_)
    out.push_back({std::get<0>(key), std::get<1>(key), std::get<2>(key), h->snapshot()});
  return out;
}

namespace {
std::string escape_label(std::string_view v) {
  std::string out;
  for (char c : v) {
    if (c == '\\' || c == '"') out += '\\';
    if (c == '\n') {
      out += "\\n";
      continue;
    }
    out += c;
  }
  return out;
}

std::string number(double v) {
  if (std::isinf(v)) return v > 0 ? "+Inf" : "-Inf";
  if (std::isnan(v)) return "NaN";
  if (v == std::floor(v) && std::fabs(v) < 1e15) return std::to_string(static_cast<long long>(v));
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.15g", v);
  return buf;
}
}  // namespace

void PrometheusText::family(std::string_view name, std::string_view type, std::string_view help) {
  out_ += "# HELP ";
  out_ += name;
  out_ += ' ';
  out_ += help;
  out_ += "\n# TYPE ";
  out_ += name;
  out_ += ' ';
  out_ += type;
  out_ += '\n';
}

void PrometheusText::sample(std::string_view name, const Labels& labels, double value) {
  out_ += name;
  if (!labels.empty()) {
    out_ += '{';
    for (std::size_t i = 0; i < labels.size(); ++i) {
      if (i) out_ += ',';
      out_ += labels[i].first + "=\"" + escape_label(labels[i].second) + '"';
    }
    out_ += '}';
  }
  out_ += ' ';
  out_ += number(value);
  out_ += '\n';
}

void PrometheusText::histogram(std::string_view name, const Labels& labels,
                               const Histogram::Snapshot& h) {
  const std::string base(name);
  for (std::size_t i = 0; i < kLatencyBuckets.size(); ++i) {
    auto with_le = labels;
    with_le.emplace_back("le", number(kLatencyBuckets[i]));
    sample(base + "_bucket", with_le, static_cast<double>(h.cumulative[i]));
  }
  auto with_inf = labels;
  with_inf.emplace_back("le", "+Inf");
  sample(base + "_bucket", with_inf, static_cast<double>(h.count));
  sample(base + "_sum", labels, h.sum);
  sample(base + "_count", labels, static_cast<double>(h.count));
}

}  // namespace orderflow::obs
