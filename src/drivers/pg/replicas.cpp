#include "drivers/pg/replicas.hpp"

#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <cstdio>

#include "base/log.hpp"
#include "base/time.hpp"
#include "drivers/pg/conninfo.hpp"

namespace orderflow::pg {

namespace asio = boost::asio;
using Clock = std::chrono::steady_clock;

namespace {
constexpr std::chrono::milliseconds kMinBackoff{1000}, kMaxBackoff{30'000};
// True on a replica that has replayed the WAL up to $1; false on one behind, or on a server
// that is not a replica at all.
constexpr const char* kReplayedUpTo =
    "SELECT COALESCE(pg_last_wal_replay_lsn() >= $1::pg_lsn, false)";
// How long reads stay on the primary when it could not report its WAL position after a write.
constexpr std::int64_t kPrimaryOnlyMs = 5000;
}  // namespace

std::optional<std::uint64_t> parse_lsn(std::string_view text) {
  const auto slash = text.find('/');
  if (slash == std::string_view::npos || slash == 0 || slash + 1 == text.size())
    return std::nullopt;
  const auto hex = [](std::string_view part) -> std::optional<std::uint64_t> {
    if (part.size() > 8) return std::nullopt;
    std::uint64_t v = 0;
    for (char c : part) {
      int d;
      if (c >= '0' && c <= '9')
        d = c - '0';
      else if (c >= 'A' && c <= 'F')
        d = c - 'A' + 10;
      else if (c >= 'a' && c <= 'f')
        d = c - 'a' + 10;
      else
        return std::nullopt;
      v = v * 16 + static_cast<std::uint64_t>(d);
    }
    return v;
  };
  const auto high = hex(text.substr(0, slash)), low = hex(text.substr(slash + 1));
  if (!high || !low) return std::nullopt;
  return (*high << 32) | *low;
}

std::string format_lsn(std::uint64_t lsn) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%X/%X", static_cast<unsigned>(lsn >> 32),
                static_cast<unsigned>(lsn & 0xffffffffu));
  return buf;
}

struct ReadRouter::Replica {
  std::unique_ptr<Pool> pool;
  std::string name;
  Clock::time_point retry_at{};
  std::chrono::milliseconds backoff = kMinBackoff;
  std::string last_error;
  double latency_ms = 0;
};

ReadRouter::ReadRouter(Pool& primary, const std::vector<std::string>& replica_urls,
                       const PoolOptions& replica_options)
    : primary_(primary) {
  for (const auto& url : replica_urls) {
    auto options = replica_options;
    options.conninfo = url;
    auto r = std::make_unique<Replica>();
    r->pool = std::make_unique<Pool>(primary.executor(), std::move(options));
    r->name = without_credentials(url);
    replicas_.push_back(std::move(r));
  }
}

ReadRouter::~ReadRouter() = default;

std::optional<std::size_t> ReadRouter::pick() {
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

void ReadRouter::record(std::size_t index, const std::string& error) {
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

asio::awaitable<std::vector<Result>> ReadRouter::read(std::vector<Statement> statements) {
  const auto floor = floor_.load();
  const bool primary_only = now_ms() < primary_only_until_ms_.load();
  // A replica's answer that is behind this process's writes: used only if the primary fails,
  // since during a primary outage a slightly stale list beats a 503.
  std::optional<std::vector<Result>> behind_answer;
  for (std::size_t attempt = 0; attempt < replicas_.size(); ++attempt) {
    const auto index = pick();
    if (!index) break;
    // The position test rides in the same round trip as the read itself.
    std::vector<Statement> request;
    request.push_back({kReplayedUpTo, {format_lsn(floor)}});
    request.insert(request.end(), statements.begin(), statements.end());
    std::string error;
    bool refused = false;
    std::vector<Result> results;
    try {
      results = co_await replicas_[*index]->pool->execute(std::move(request));
    } catch (const ConnectionError& e) {
      error = e.what();
    } catch (const QueryError&) {
      refused = true;  // e.g. cancelled by a recovery conflict: the primary answers instead
    }
    if (!error.empty()) {
      record(*index, error);
      continue;
    }
    if (refused) break;
    record(*index, {});
    const bool behind = primary_only || results.at(0).rows.at(0).at(0) != "t";
    results.erase(results.begin());
    if (behind) {
      behind_answer = std::move(results);
      break;
    }
    ++replica_reads_;
    co_return results;
  }
  try {
    auto results = co_await primary_.execute(std::move(statements));
    ++primary_reads_;
    co_return results;
  } catch (const ConnectionError&) {
    if (!behind_answer) throw;
  }
  ++stale_reads_;
  co_return std::move(*behind_answer);
}

asio::awaitable<void> ReadRouter::note_write() {
  if (replicas_.empty()) co_return;
  std::optional<std::uint64_t> lsn;
  try {
    const auto r = co_await primary_.query("SELECT pg_current_wal_lsn()::text");
    if (const auto& v = r.rows.at(0).at(0)) lsn = parse_lsn(*v);
  } catch (const std::exception&) {
  }
  if (!lsn) {
    primary_only_until_ms_ = now_ms() + kPrimaryOnlyMs;
    co_return;
  }
  auto seen = floor_.load();
  while (seen < *lsn && !floor_.compare_exchange_weak(seen, *lsn)) {
  }
}

asio::awaitable<bool> ReadRouter::wait_replayed(std::chrono::milliseconds limit) {
  const auto target = format_lsn(floor_.load());
  const auto deadline = Clock::now() + limit;
  asio::steady_timer pause(primary_.executor());
  for (;;) {
    bool all = true;
    for (std::size_t i = 0; i < replicas_.size() && all; ++i) {
      {
        std::lock_guard lock(mutex_);
        if (!replicas_[i]->last_error.empty()) continue;  // not read while failing
      }
      std::string error;
      try {
        Params params{target};
        const auto r = co_await replicas_[i]->pool->query(kReplayedUpTo, std::move(params));
        all = r.rows.at(0).at(0) == "t";
      } catch (const std::exception& e) {
        error = e.what();
      }
      if (!error.empty()) record(i, error);
    }
    if (all) co_return true;
    if (Clock::now() >= deadline) co_return false;
    pause.expires_after(std::chrono::milliseconds(20));
    co_await pause.async_wait(asio::use_awaitable);
  }
}

std::vector<ReplicaStatus> ReadRouter::status() const {
  std::lock_guard lock(mutex_);
  std::vector<ReplicaStatus> out;
  for (const auto& r : replicas_)
    out.push_back({r->name, r->last_error.empty(), r->last_error, r->latency_ms});
  return out;
}

asio::awaitable<std::vector<ReplicaStatus>> ReadRouter::probe() {
  for (std::size_t i = 0; i < replicas_.size(); ++i) {
    const auto t0 = Clock::now();
    std::string error;
    try {
      co_await replicas_[i]->pool->query("SELECT 1");
    } catch (const std::exception& e) {
      error = e.what();
    }
    record(i, error);
    std::lock_guard lock(mutex_);
    replicas_[i]->latency_ms = std::chrono::duration<double, std::milli>(Clock::now() - t0).count();
  }
  co_return status();
}

ReadStats ReadRouter::stats() const {
  return {replica_reads_.load(), primary_reads_.load(), stale_reads_.load()};
}

}  // namespace orderflow::pg
