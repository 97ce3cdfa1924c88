#pragma once
#include <span>

#include "base/notifier.hpp"
#include "core/ports/queue.hpp"
#include "drivers/mysql/pool.hpp"

namespace orderflow::backends {

// The queue as InnoDB tables in MySQL or MariaDB. Each operation is one request of several
// statements (one round trip, one transaction); a receive is two (lock the heads, then take
// them) on a leased connection. Receives take group heads with FOR UPDATE SKIP LOCKED, so
// several workers share the work and keep per-group order. MySQL has no LISTEN/NOTIFY: a
// receiver is woken at once by sends of its own process, and finds other processes' sends when
// it looks again (every poll_interval).
class MysqlQueue final : public queue::Queue {
 public:
  MysqlQueue(mysql::Pool& pool, queue::QueueOptions options, std::string name = "orders");

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

  // The statements that enqueue a batch (deduplicated), for callers that put them in their own
  // request; `message_ids` are the ids the messages get if they are not duplicates. The last
  // statement's rows say which message holds each dedup id (columns dedup_id, message_id).
  void send_statements(std::vector<mysql::Statement>& out,
                       std::span<const queue::OutgoingMessage* const> batch,
                       const std::vector<std::string>& message_ids, std::int64_t now) const;
  // The results of send_statements' last statement, one per message, in order.
  static std::vector<queue::SendResult> sent(std::span<const queue::OutgoingMessage* const> batch,
                                             const std::vector<std::string>& message_ids,
                                             const mysql::Result& holders);
  // Deletes delivered messages; the last statement's column n: how many had a current receipt.
  void remove_statements(std::vector<mysql::Statement>& out,
                         std::span<const queue::Message* const> delivered) const;
  // Retries or dead-letters a delivered message; the last statement's column n: 1 when its
  // receipt was current.
  void fail_statements(std::vector<mysql::Statement>& out, const queue::Message& m,
                       const std::string& error, std::int64_t now) const;
  void notify_sent() { notifier_.notify(); }
  const std::string& name() const { return name_; }

 private:
  mysql::Pool& pool_;
  queue::QueueOptions options_;
  std::string name_;
  // This instance's counter rows are "<node>:send", ":receive" and ":apply", so that accepts,
  // receives and worker transactions do not wait for each other's row locks.
  std::string node_;
  Notifier notifier_;
};

}  // namespace orderflow::backends
