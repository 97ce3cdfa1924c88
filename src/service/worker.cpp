#include "service/worker.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "base/log.hpp"
#include "base/time.hpp"
#include "core/errors.hpp"

namespace orderflow::service {

namespace asio = boost::asio;
namespace json = boost::json;

void Worker::start(asio::io_context& io) {
  started_at_ = now_ms();
  for (int i = 0; i < std::max(1, options_.concurrency); ++i) {
    ++running_;
    asio::co_spawn(io, loop(), asio::detached);
  }
}

asio::awaitable<void> Worker::stop() {
  stopping_ = true;
  co_await queue_.interrupt();
  asio::steady_timer timer(co_await asio::this_coro::executor);
  while (running_ > 0) {
    timer.expires_after(std::chrono::milliseconds(10));
    co_await timer.async_wait(asio::use_awaitable);
  }
}

json::object Worker::status() const {
  const auto started = started_at_.load(), polled = last_poll_at_.load();
  return {{"running", running_.load() > 0},
          {"workers", running_.load()},
          {"started_at", started ? json::value(format_rfc3339(started)) : json::value(nullptr)},
          {"last_poll_at", polled ? json::value(format_rfc3339(polled)) : json::value(nullptr)}};
}

asio::awaitable<void> Worker::loop() {
  asio::steady_timer backoff(co_await asio::this_coro::executor);
  auto pause = std::chrono::milliseconds(100);
  // A batch the store was unavailable for: applied again once it answers, not received again
  // meanwhile. Each delivery counts towards the dead-letter queue, and an outage of the store
  // (the queue in Redis still taking orders) is not the orders' fault. Applying is idempotent:
  // if the batch's visibility ran out and another worker took it, the inbox keeps it once.
  std::vector<queue::Message> held;
  while (!stopping_) {
    std::string failure;
    try {
      std::vector<queue::Message> batch = std::move(held);
      held.clear();
      if (batch.empty()) {
        const auto asked = std::chrono::steady_clock::now();
        batch = co_await queue_.receive(options_.batch_size, options_.poll_wait);
        last_poll_at_ = now_ms();
        if (batch.empty()) continue;
        stats_.record_receive(
            std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - asked)
                .count());
      }
      const auto t0 = std::chrono::steady_clock::now();
      ports::BatchResult result;
      try {
        result = co_await applier_.apply_batch(batch, rules_);
      } catch (const core::DependencyUnavailable&) {
        held = std::move(batch);
        throw;
      }
      if (after_commit_) co_await after_commit_(result);
      const auto done = now_ms();
      const double apply_ms =
          std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
      std::vector<double> end_to_end;
      for (const auto& m : batch) end_to_end.push_back(static_cast<double>(done - m.sent_at));
      stats_.record_batch(result, apply_ms, end_to_end);
      for (const auto& [id, error] : result.failed)
        log::warn("message failed", {{"message_id", id}, {"error", error}});
      pause = std::chrono::milliseconds(100);
    } catch (const std::exception& e) {
      // The store or queue is unavailable: the batch stays in flight and is redelivered after
      // its visibility timeout. Back off instead of spinning.
      failure = e.what();
    }
    if (!failure.empty()) {
      log::error("worker batch failed", {{"error", failure}});
      backoff.expires_after(pause);
      co_await backoff.async_wait(asio::use_awaitable);
      pause = std::min(pause * 2, std::chrono::milliseconds(5000));
    }
  }
  --running_;
}

}  // namespace orderflow::service
