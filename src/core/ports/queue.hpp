#pragma once
#include <boost/asio/awaitable.hpp>

#include <array>
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace orderflow::queue {

using std::chrono::milliseconds;

struct QueueOptions {
  milliseconds visibility_timeout{30'000};
  int max_retries = 3;
  std::vector<milliseconds> retry_delays{milliseconds{1000}, milliseconds{5000},
                                         milliseconds{15000}};
  milliseconds dedup_window{5 * 60'000};
  // How often an idle long-poll looks again without a wake-up (sends from other processes,
  // visibility expiry, retry delays running out).
  milliseconds poll_interval{250};
};

// The delay before a message that failed on its n-th delivery is delivered again:
// retry_delays[n-1] (the last one repeating), with ±10 % jitter so that retries spread out.
milliseconds retry_delay(const QueueOptions& options, int receive_count);

struct OutgoingMessage {
  std::string group_id;
  std::optional<std::string> dedup_id;  // SHA-256 of the body when absent
  std::string body;
};

// The id a message is deduplicated by: its dedup_id, else the SHA-256 of its body.
std::string dedup_id_of(const OutgoingMessage& m);

struct SendResult {
  std::string message_id;
  bool deduplicated = false;
};

struct Message {
  std::string message_id;
  std::string receipt;  // proves this delivery; stale after the visibility timeout
  std::string group_id;
  std::string body;
  int receive_count = 0;
  std::int64_t sent_at = 0;
};

struct DeadLetter {
  std::string message_id, group_id, body;
  int receive_count = 0;
  std::optional<std::string> last_error;
  std::int64_t sent_at = 0;
  std::optional<std::int64_t> dead_lettered_at;
};

struct QueueStats {
  std::string backend;
  std::int64_t visible = 0, in_flight = 0, delayed = 0, dead_letter = 0;
  std::int64_t sent = 0, received = 0, deleted = 0, deduplicated = 0, retried = 0,
               dead_lettered = 0;
  std::optional<std::int64_t> oldest_age_ms;
};

// The statistics by name: the same names are the stores' columns, the JSON answers' fields and
// the metrics' labels. Messages by state:
inline constexpr std::array<std::pair<std::string_view, std::int64_t QueueStats::*>, 4>
    kQueueDepths{{{"visible", &QueueStats::visible},
                  {"in_flight", &QueueStats::in_flight},
                  {"delayed", &QueueStats::delayed},
                  {"dead_letter", &QueueStats::dead_letter}}};
// Operations since the queue was created:
inline constexpr std::array<std::pair<std::string_view, std::int64_t QueueStats::*>, 6>
    kQueueCounters{{{"sent", &QueueStats::sent},
                    {"received", &QueueStats::received},
                    {"deleted", &QueueStats::deleted},
                    {"deduplicated", &QueueStats::deduplicated},
                    {"retried", &QueueStats::retried},
                    {"dead_lettered", &QueueStats::dead_lettered}}};

// An SQS-FIFO-like queue. FIFO within a group; a group whose head is in flight or waiting for a
// retry delivers nothing else; deduplication within a window; visibility timeout; retries with
// backoff; a dead-letter queue. Messages are durable once send() returns.
class Queue {
 public:
  virtual ~Queue() = default;
  virtual boost::asio::awaitable<std::vector<SendResult>> send(
      std::vector<OutgoingMessage> batch) = 0;
  // Waits up to `wait` for at least one message; returns at most `max`, at most one per group.
  virtual boost::asio::awaitable<std::vector<Message>> receive(std::size_t max,
                                                               milliseconds wait) = 0;
  // Deletes a delivered message; false when its receipt is stale.
  virtual boost::asio::awaitable<bool> remove(const Message& m) = 0;
  // Reports a failed delivery: retried after a delay, or dead-lettered after the last retry.
  virtual boost::asio::awaitable<bool> fail(const Message& m, std::string error) = 0;
  virtual boost::asio::awaitable<std::int64_t> purge() = 0;
  virtual boost::asio::awaitable<std::vector<DeadLetter>> dead_letters(std::size_t limit) = 0;
  // Moves dead letters (all when ids is empty) back to the tail of the main queue.
  virtual boost::asio::awaitable<std::int64_t> redrive(std::vector<std::string> ids) = 0;
  virtual boost::asio::awaitable<QueueStats> stats() = 0;
  virtual const QueueOptions& options() const = 0;
  // The consumer is stopping: receives waiting now return at once, empty, and so do later ones
  // (a queue whose long polls are long need not have them waited out).
  virtual boost::asio::awaitable<void> interrupt() { co_return; }
};

}  // namespace orderflow::queue
