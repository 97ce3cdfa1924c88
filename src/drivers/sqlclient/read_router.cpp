#include "drivers/sqlclient/read_router.hpp"

#include "base/log.hpp"
#include "base/time.hpp"

namespace orderflow::sqlclient {

using Clock = std::chrono::steady_clock;

namespace {
constexpr std::chrono::milliseconds kMinBackoff{1000}, kMaxBackoff{30'000};
// How long reads stay on the primary when it could not report its position after a write.
constexpr std::int64_t kPrimaryOnlyMs = 5000;
}  // namespace

struct ReplicaSet::Replica {
  std::string name;
  Clock::time_point retry_at{};
  std::chrono::milliseconds backoff = kMinBackoff;
  std::string last_error;
  double latency_ms = 0;
};

ReplicaSet::ReplicaSet(std::vector<std::string> names) {
  for (auto& name : names) {
    auto r = std::make_unique<Replica>();
    r->name = std::move(name);
    replicas_.push_back(std::move(r));
  }
}

ReplicaSet::~ReplicaSet() = default;

std::optional<std::size_t> ReplicaSet::pick() {
  std::lock_guard lock(mutex_);
  const auto now = Clock::now();
  for (std::size_t tried = 0; tried < replicas_.size(); ++tried) {
    const auto i = next_++ % replicas_.size();
    auto& r = *replicas_[i];
    if (now < r.retry_at) continue;
    // A replica that failed gets one read at a time until it answers again.
    if (!r.last_error.empty()) r.retry_at = now + r.backoff;
    return i;
  }
  return std::nullopt;
}

void ReplicaSet::record(std::size_t index, const std::string& error) {
  std::lock_guard lock(mutex_);
  auto& r = *replicas_[index];
  if (error.empty()) {
    if (!r.last_error.empty()) log::info("read replica is back", {{"replica", r.name}});
    r.last_error.clear();
    r.backoff = kMinBackoff;
    r.retry_at = {};
    return;
  }
  if (r.last_error.empty())
    log::warn("read replica failed: reads go elsewhere", {{"replica", r.name}, {"error", error}});
  r.last_error = error;
  r.retry_at = Clock::now() + r.backoff;
  r.backoff = std::min(r.backoff * 2, kMaxBackoff);
}

void ReplicaSet::record_latency(std::size_t index, double ms) {
  std::lock_guard lock(mutex_);
  replicas_[index]->latency_ms = ms;
}

bool ReplicaSet::failing(std::size_t index) const {
  std::lock_guard lock(mutex_);
  return !replicas_[index]->last_error.empty();
}

void ReplicaSet::primary_only_for_a_while() {
  primary_only_until_ms_ = now_ms() + kPrimaryOnlyMs;
}

bool ReplicaSet::primary_only() const {
  return now_ms() < primary_only_until_ms_.load();
}

std::vector<ReplicaStatus> ReplicaSet::status() const {
  std::lock_guard lock(mutex_);
  std::vector<ReplicaStatus> out;
  for (const auto& r : replicas_)
    out.push_back({r->name, r->last_error.empty(), r->last_error, r->latency_ms});
  return out;
}

ReadStats ReplicaSet::stats() const {
  return {replica_reads_.load(), primary_reads_.load(), stale_reads_.load()};
}

}  // namespace orderflow::sqlclient
