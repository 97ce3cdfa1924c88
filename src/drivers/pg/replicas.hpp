#pragma once
#include <boost/asio/awaitable.hpp>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "drivers/pg/pool.hpp"

namespace orderflow::pg {

// "16/B374D848" → its 64-bit position; nullopt when it is not an LSN.
std::optional<std::uint64_t> parse_lsn(std::string_view text);
std::string format_lsn(std::uint64_t lsn);

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

// Sends reads that may be slightly stale round-robin to the read replicas, and everything else
// to the primary. A replica serves a read only once it has replayed this process's latest write
// (read-your-writes: a price change is seen by the next listing from this process), unless the
// primary is unreachable; one that fails is skipped, with backoff, until a later read tries it
// again.
class ReadRouter {
 public:
  // Replica pools get `replica_options` with each URL as conninfo.
  ReadRouter(Pool& primary, const std::vector<std::string>& replica_urls,
             const PoolOptions& replica_options);
  ~ReadRouter();

  // Runs a read-only request on a healthy, caught-up replica, else on the primary.
  boost::asio::awaitable<std::vector<Result>> read(std::vector<Statement> statements);

  // Call after a write committed on the primary (and at start): later reads from this process
  // must see it.
  // Never throws: when the primary cannot say its position, reads use it for a while.
  boost::asio::awaitable<void> note_write();

  // Waits until every healthy replica has replayed this process's writes so far; false when
  // `limit` ran out first.
  boost::asio::awaitable<bool> wait_replayed(std::chrono::milliseconds limit);

  bool has_replicas() const { return !replicas_.empty(); }
  std::vector<ReplicaStatus> status() const;
  // Asks every replica now (for health checks); one that answers is used again at once.
  boost::asio::awaitable<std::vector<ReplicaStatus>> probe();
  ReadStats stats() const;

 private:
  struct Replica;
  std::optional<std::size_t> pick();
  // How a request to replica `index` went: "" for success, else the error (backoff).
  void record(std::size_t index, const std::string& error);

  Pool& primary_;
  std::vector<std::unique_ptr<Replica>> replicas_;
  mutable std::mutex mutex_;
  std::size_t next_ = 0;
  std::atomic<std::uint64_t> floor_{0};  // WAL position replicas must have replayed
  std::atomic<std::int64_t> primary_only_until_ms_{0};
  std::atomic<std::uint64_t> replica_reads_{0}, primary_reads_{0}, stale_reads_{0};
};

}  // namespace orderflow::pg
