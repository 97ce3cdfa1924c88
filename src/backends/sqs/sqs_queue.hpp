#pragma once
#include <boost/json/object.hpp>

#include <atomic>
#include <chrono>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>

#include "core/ports/queue.hpp"
#include "drivers/aws/sqs_client.hpp"

namespace orderflow::backends {

// The queue on an Amazon SQS FIFO queue (QUEUE_BACKEND=sqs), through SQS's own API. The queue
// and its dead-letter queue are the operator's: the DLQ and the number of deliveries are read
// from the queue's RedrivePolicy (max_retries = maxReceiveCount − 1). Where SQS differs from
// the port's contract (docs/architecture.md, "The queue on SQS"):
// - times are whole seconds: the visibility timeout and retry delays are rounded up;
// - deduplication is SQS's fixed 5-minute window, and a deduplicated send is not reported;
// - a stale receipt's delete is accepted by SQS without deleting anything, so it reads as done;
// - a failed message waiting for its retry counts as in flight, not delayed;
// - the counters (sent, received, …) are this process's since it started;
// - the age of the oldest message is not known (CloudWatch has it).
// SQS may return several messages of one group in a receive; the queue hands out one per group
// and holds the others (still in flight for it) until the one before is deleted.
// The last failure moves a message to the DLQ itself, with its error, id and delivery count as
// message attributes; a consumer that died lets SQS move it after maxReceiveCount deliveries.
class SqsQueue final : public queue::Queue {
 public:
  SqsQueue(aws::SqsClient& client, std::string queue_url, queue::QueueOptions options);

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
  // Valid once ready() has returned.
  const queue::QueueOptions& options() const override { return options_; }
  // Ends the long polls waiting now and makes later receives return at once. What SQS
  // delivers to a poll so ended is let go at once (if it comes within half a second).
  boost::asio::awaitable<void> interrupt() override;

  // Reads the queue's attributes (once): that it is FIFO, its DLQ and maxReceiveCount. Throws
  // std::invalid_argument for a queue orderflow cannot use, aws::SqsUnavailable while SQS does
  // not answer.
  boost::asio::awaitable<void> ready();
  // Deletes the `done` messages (DeleteMessageBatch, ten a call, calls in parallel) and reports
  // the `failed` ones.
  boost::asio::awaitable<void> settle(std::vector<queue::Message> done,
                                      std::vector<std::pair<queue::Message, std::string>> failed);

 private:
  struct LongPoll;
  struct Held {
    queue::Message message;
    std::chrono::steady_clock::time_point until;  // its visibility runs out
  };

  boost::asio::awaitable<boost::json::object> call(const char* action, boost::json::object request,
                                                   std::chrono::milliseconds wait = {});
  // Sends entries (without their Id) ten a call, calls in parallel: the message ids in order.
  boost::asio::awaitable<std::vector<std::string>> send_entries(
      std::string url, std::vector<boost::json::object> entries);
  boost::asio::awaitable<std::vector<std::string>> send_chunk(
      std::string url, std::vector<boost::json::object> entries);
  boost::asio::awaitable<bool> delete_batch(std::string url, std::vector<std::string> receipts);
  // Receives from the DLQ, with this visibility timeout (0: a look without taking).
  boost::asio::awaitable<std::vector<boost::json::object>> receive_dlq(std::size_t max,
                                                                       std::int64_t visibility);
  // A group's message handed out is settled: the group may hand out its next.
  void settled(const std::string& group);
  // Changes a delivery's visibility; false when its receipt is stale.
  boost::asio::awaitable<bool> change_visibility(const queue::Message& m, std::int64_t seconds);
  boost::asio::awaitable<void> move_to_dlq(const queue::Message& m, const std::string& error);
  // Lets the messages of a receive's answer go back to SQS (their poll was interrupted).
  boost::asio::awaitable<void> release(boost::json::object answer);
  // Lets the messages held behind a group's head go back to SQS (the head failed).
  boost::asio::awaitable<void> release_held(const std::string& group);
  // Makes deliveries visible again at once (visibility 0); logs `what` when SQS refuses.
  boost::asio::awaitable<void> let_go(std::string url, std::vector<std::string> receipts,
                                      const char* what);
  // The messages to hand out now from those held, and marks their groups busy.
  std::vector<queue::Message> take_held(std::size_t max);
  boost::asio::awaitable<std::map<std::string, std::int64_t>> attributes(
      std::string url, std::vector<std::string> names);

  aws::SqsClient& client_;
  std::string url_, dlq_url_;
  queue::QueueOptions options_;
  std::atomic<bool> ready_{false};
  std::mutex mutex_;
  // Groups with a message handed out and not yet settled (until its visibility runs out), and
  // the messages received behind it.
  std::map<std::string, std::chrono::steady_clock::time_point> busy_;
  std::map<std::string, std::deque<Held>> held_;
  std::set<std::shared_ptr<LongPoll>> polling_;
  bool interrupted_ = false;
  std::atomic<int> polls_running_{0};
  std::atomic<std::int64_t> sent_{0}, received_{0}, deleted_{0}, retried_{0}, dead_lettered_{0};
};

}  // namespace orderflow::backends
