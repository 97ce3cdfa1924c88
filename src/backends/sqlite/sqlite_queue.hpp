#pragma once
#include "base/notifier.hpp"
#include "core/ports/queue.hpp"
#include "drivers/sqlite/database.hpp"

namespace orderflow::backends {

// The queue as tables in the store's SQLite file, so that the store can enqueue and delete
// messages inside its own transactions (the *_in functions run on the writer connection).
class SqliteQueue final : public queue::Queue {
 public:
  SqliteQueue(sqlite::Database& db, queue::QueueOptions options, std::string name = "orders");

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

  // Inside a write transaction of the same database.
  queue::SendResult send_in(sqlite::Connection& c, const queue::OutgoingMessage& m,
                            std::int64_t now);
  bool is_current_in(sqlite::Connection& c, const queue::Message& m);
  bool remove_in(sqlite::Connection& c, const queue::Message& m);
  bool fail_in(sqlite::Connection& c, const queue::Message& m, const std::string& error,
               std::int64_t now);
  // Wakes receivers after a transaction with sends committed.
  void notify_sent() { notifier_.notify(); }

 private:
  std::vector<queue::Message> receive_in(sqlite::Connection& c, std::size_t max, std::int64_t now);
  void dead_letter_in(sqlite::Connection& c, const std::string& message_id,
                      const std::string& error, std::int64_t now);
  // Adds n to one of queue::kQueueCounters (e.g. &queue::QueueStats::sent).
  void count_in(sqlite::Connection& c, std::int64_t queue::QueueStats::*counter, std::int64_t n);

  sqlite::Database& db_;
  queue::QueueOptions options_;
  std::string name_;
  Notifier notifier_;
};

}  // namespace orderflow::backends
