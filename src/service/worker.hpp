#pragma once
#include <boost/asio/awaitable.hpp>
#include <boost/json/object.hpp>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>

#include "core/domain/processing.hpp"
#include "core/ports/batch_applier.hpp"
#include "core/ports/queue.hpp"
#include "service/handler_stats.hpp"

namespace boost::asio {
class io_context;
}

namespace orderflow::service {

struct WorkerOptions {
  std::size_t batch_size = 256;
  int concurrency = 2;  // receive/apply loops; a group is never in two batches at once
  std::chrono::milliseconds poll_wait{1000};
};

// Runs after a batch committed and before it counts as processed: cache invalidation,
// clean-up of carts whose checkout was confirmed.
using AfterCommit = std::function<boost::asio::awaitable<void>(const ports::BatchResult&)>;

// Receives batches of order messages and applies each batch in one store transaction.
class Worker {
 public:
  Worker(queue::Queue& queue, ports::BatchApplier& applier, domain::ProcessingRules rules,
         WorkerOptions options, HandlerStats& stats, AfterCommit after_commit)
      : queue_(queue),
        applier_(applier),
        rules_(std::move(rules)),
        options_(options),
        stats_(stats),
        after_commit_(std::move(after_commit)) {}

  void start(boost::asio::io_context& io);
  // Lets every loop finish the batch it is applying, then returns.
  boost::asio::awaitable<void> stop();
  boost::json::object status() const;

 private:
  boost::asio::awaitable<void> loop();

  queue::Queue& queue_;
  ports::BatchApplier& applier_;
  domain::ProcessingRules rules_;
  WorkerOptions options_;
  HandlerStats& stats_;
  AfterCommit after_commit_;
  std::atomic<bool> stopping_{false};
  std::atomic<int> running_{0};
  std::atomic<std::int64_t> started_at_{0}, last_poll_at_{0};
};

}  // namespace orderflow::service
