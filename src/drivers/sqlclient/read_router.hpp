#pragma once
// Read replicas for any client of drivers/sqlclient/pool.hpp, with read-your-writes by the
// replication position that a `Replication` policy knows how to ask the servers for:
//   using Position = ...;               Position{} is "before any write"
//   static constexpr const char* kCurrent;       on the primary: one cell, its position as text
//   static constexpr const char* kReplayedUpTo;  on a replica, with a position as its one value:
//                                                one cell, which replayed() reads
//   static bool replayed(const std::optional<std::string>& cell);
//   static std::optional<Position> parse(std::string_view text);
//   static void raise(Position& floor, const Position& seen);  floor becomes the later of both
//   static std::string format(const Position& p);
//   static std::string name_of(const std::string& url);          for logs, without credentials
#include <boost/asio/awaitable.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "drivers/sqlclient/pool.hpp"

namespace orderflow::sqlclient {

struct ReplicaStatus {
  std::string name;  // host:port/database, without credentials
  bool healthy = true;
  std::string last_error;
  double latency_ms = 0;  // of the last probe()
};

struct ReadStats {
  std::uint64_t replica_reads = 0;
  // Sent to the primary: no replica configured or healthy, a replica behind this process's
  // latest write, or a replica refused the query.
  std::uint64_t primary_reads = 0;
  // Answered by a replica behind this process's writes because the primary was unreachable.
  std::uint64_t stale_reads = 0;
};

// The replicas' health, whatever the server: which one reads go to next, which failed and when
// to try it again (backoff), and what health checks and logs show.
class ReplicaSet {
 public:
  virtual ~ReplicaSet();
  bool has_replicas() const { return !replicas_.empty(); }
  std::vector<ReplicaStatus> status() const;
  ReadStats stats() const;
  // Asks every replica now (for health checks); one that answers is used again at once.
  virtual boost::asio::awaitable<std::vector<ReplicaStatus>> probe() = 0;

 protected:
  explicit ReplicaSet(std::vector<std::string> names);
  std::size_t size() const { return replicas_.size(); }
  // The next replica to read from, round-robin, skipping those in backoff.
  std::optional<std::size_t> pick();
  // How a request to replica `index` went: "" for success, else the error (backoff).
  void record(std::size_t index, const std::string& error);
  void record_latency(std::size_t index, double ms);
  bool failing(std::size_t index) const;
  // When the primary could not say its position after a write, reads stay on it for a while.
  void primary_only_for_a_while();
  bool primary_only() const;

  std::atomic<std::uint64_t> replica_reads_{0}, primary_reads_{0}, stale_reads_{0};

 private:
  struct Replica;
  std::vector<std::unique_ptr<Replica>> replicas_;
  mutable std::mutex mutex_;
  std::size_t next_ = 0;
  std::atomic<std::int64_t> primary_only_until_ms_{0};
};

// Sends reads that may be slightly stale round-robin to the read replicas, and everything else
// to the primary. A replica serves a read only once it has replayed this process's latest write
// (read-your-writes: a price change is seen by the next listing from this process), unless the
// primary is unreachable; one that fails is skipped, with backoff, until a later read tries it
// again.
template <class Pool, class Replication>
class ReadRouter final : public ReplicaSet {
 public:
  using Statement = typename Pool::Statement;
  using Params = typename Pool::Params;
  using ConnectionError = typename Pool::ConnectionError;
  using QueryError = typename Pool::ConnectionType::QueryError;

  // Replica pools get `replica_options` with each URL as conninfo.
  ReadRouter(Pool& primary, const std::vector<std::string>& replica_urls,
             const PoolOptions& replica_options)
      : ReplicaSet(names_of(replica_urls)), primary_(primary) {
    for (const auto& url : replica_urls) {
      auto options = replica_options;
      options.conninfo = url;
      pools_.push_back(std::make_unique<Pool>(primary.executor(), std::move(options)));
    }
  }

  // Runs a read-only request on a healthy, caught-up replica, else on the primary.
  boost::asio::awaitable<std::vector<Result>> read(std::vector<Statement> statements) {
    const auto floor = has_replicas() ? floor_text() : std::string();  // the common case: none
    const bool stay_on_primary = primary_only();
    // A replica's answer that is behind this process's writes: used only if the primary fails,
    // since during a primary outage a slightly stale list beats a 503.
    std::optional<std::vector<Result>> behind_answer;
    for (std::size_t attempt = 0; attempt < size(); ++attempt) {
      const auto index = pick();
      if (!index) break;
      // The position test rides in the same round trip as the read itself.
      std::vector<Statement> request;
      request.push_back(Statement{Replication::kReplayedUpTo, Params{floor}});
      request.insert(request.end(), statements.begin(), statements.end());
      std::string error;
      bool refused = false;
      std::vector<Result> results;
      try {
        results = co_await pools_[*index]->execute(std::move(request));
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
      const bool behind = stay_on_primary || !Replication::replayed(results.at(0).rows.at(0).at(0));
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

  // Call after a write committed on the primary (and at start): later reads from this process
  // must see it. Never throws: when the primary cannot say its position, reads use it for a
  // while.
  boost::asio::awaitable<void> note_write() {
    if (!has_replicas()) co_return;
    std::optional<typename Replication::Position> seen;
    try {
      const auto r = co_await primary_.query(Replication::kCurrent);
      if (const auto& v = r.rows.at(0).at(0)) seen = Replication::parse(*v);
    } catch (const std::exception&) {
    }
    if (!seen) {
      primary_only_for_a_while();
      co_return;
    }
    std::lock_guard lock(floor_mutex_);
    Replication::raise(floor_, *seen);
  }

  // Waits until every healthy replica has replayed this process's writes so far; false when
  // `limit` ran out first.
  boost::asio::awaitable<bool> wait_replayed(std::chrono::milliseconds limit) {
    const auto target = floor_text();
    const auto deadline = std::chrono::steady_clock::now() + limit;
    boost::asio::steady_timer pause(primary_.executor());
    for (;;) {
      bool all = true;
      for (std::size_t i = 0; i < size() && all; ++i) {
        if (failing(i)) continue;  // not read while failing
        std::string error;
        try {
          Params params{target};
          const auto r = co_await pools_[i]->query(Replication::kReplayedUpTo, std::move(params));
          all = Replication::replayed(r.rows.at(0).at(0));
        } catch (const std::exception& e) {
          error = e.what();
        }
        if (!error.empty()) record(i, error);
      }
      if (all) co_return true;
      if (std::chrono::steady_clock::now() >= deadline) co_return false;
      pause.expires_after(std::chrono::milliseconds(20));
      co_await pause.async_wait(boost::asio::use_awaitable);
    }
  }

  boost::asio::awaitable<std::vector<ReplicaStatus>> probe() override {
    for (std::size_t i = 0; i < size(); ++i) {
      const auto t0 = std::chrono::steady_clock::now();
      std::string error;
      try {
        co_await pools_[i]->query("SELECT 1");
      } catch (const std::exception& e) {
        error = e.what();
      }
      record(i, error);
      record_latency(
          i,
          std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count());
    }
    co_return status();
  }

 private:
  static std::vector<std::string> names_of(const std::vector<std::string>& urls) {
    std::vector<std::string> names;
    for (const auto& url : urls) names.push_back(Replication::name_of(url));
    return names;
  }
  std::string floor_text() const {
    std::lock_guard lock(floor_mutex_);
    return Replication::format(floor_);
  }

  Pool& primary_;
  std::vector<std::unique_ptr<Pool>> pools_;
  mutable std::mutex floor_mutex_;
  typename Replication::Position floor_{};  // what replicas must have replayed
};

}  // namespace orderflow::sqlclient
