#pragma once
#include <mutex>
#include <span>

#include "base/notifier.hpp"
#include "core/ports/queue.hpp"
#include "drivers/pg/pool.hpp"

namespace orderflow::backends {

// The queue as tables in PostgreSQL. Each operation is one statement (data-modifying CTEs keep
// its counter update in the same implicit transaction); receives take group heads with
// FOR UPDATE SKIP LOCKED, so several workers share the work and keep per-group order.
class PgQueue final : public queue::Queue {
 public:
  PgQueue(pg::Pool& pool, queue::QueueOptions options, std::string name = "orders");

  boost::asio::awaitable<std::vector<queue::SendResult>> send(
      std::vector<queue::OutgoingMessage> batch) override;
  boost::asio::awaitable<std::vector<queue::Message>> receive(std::size_t max,
                                                              queue::milliseconds wait) override;
  boost::asio::awaitable<bool> remove(const queue::Message& m) override;
  boost::asio::awaitable<bool> fail(const queue::Message& m, std::string error) override;
  boost::asio::awaitable<std::int64_t> purge() override;
  boost::asio::awaitable<std::vector<queue::DeadLetter>> dead_letters(std::size_t limit) override;
  boost::asio::awaitable<std::int64_t> redrive(std::vector<std::string> ids) override;
  boost::asio::awaitable<queue::QueueStats> stats() override;
  const queue::QueueOptions& options() const override { return options_; }

  // The statement that enqueues a batch (deduplicated), for callers that put it in their own
  // transaction. One row per message, in order; columns: message_id, deduplicated.
  pg::Statement send_statement(std::span<const queue::OutgoingMessage* const> batch,
                               std::int64_t now) const;
  // Deletes delivered messages (column n: how many had a current receipt).
  pg::Statement remove_statement(std::span<const queue::Message* const> delivered) const;
  // Retries or dead-letters a delivered message (column n: 1 when its receipt was current).
  pg::Statement fail_statement(const queue::Message& m, const std::string& error,
                               std::int64_t now) const;
  ~PgQueue();
  void notify_sent() { notifier_->notify(); }
  // The NOTIFY channel of this queue; a send's transaction notifies it when it commits.
  const std::string& channel() const { return channel_; }
  const std::string& name() const { return name_; }

 private:
  // Keeps a connection LISTENing to the channel (opened on first use, again after a loss).
  boost::asio::awaitable<void> ensure_listening();

  pg::Pool& pool_;
  queue::QueueOptions options_;
  std::string name_;
  // This instance's counter rows are "<node>:send", ":receive" and ":apply", so that accepts,
  // receives and worker transactions do not wait for each other's row locks.
  std::string node_;
  std::string channel_;
  // Shared with the listener's handler, which may outlive this queue by a moment.
  std::shared_ptr<Notifier> notifier_ = std::make_shared<Notifier>();
  std::shared_ptr<pg::Connection> listener_;
  std::mutex listener_mutex_;
};

}  // namespace orderflow::backends
