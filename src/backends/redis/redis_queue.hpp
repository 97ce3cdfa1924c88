#pragma once
#include <boost/asio/any_io_executor.hpp>

#include <memory>
#include <mutex>

#include "core/ports/queue.hpp"
#include "drivers/redis/client.hpp"
#include "drivers/redis/script.hpp"

namespace orderflow::backends {

// The queue in Redis. Messages are hashes; each group is a list of its message ids in order.
// A Redis stream with one consumer group ("workers") carries *tokens*: a token names a group
// whose head message may be delivered, and a group has exactly one token while it has
// messages. Reading a token (XREADGROUP) delivers its group's head; the token stays pending
// while the head is in flight, so no other consumer sees the group: FIFO per group, and a busy
// group holds up only itself. Deleting the head acknowledges the token and queues a new one
// when the group has more; a failure parks the group in a sorted set until its retry delay has
// passed; XAUTOCLAIM takes over tokens idle for longer than the visibility timeout (a consumer
// that died). Dead letters go to a second stream with their last error.
//
// Every operation is one Lua script, so it is atomic, also with several processes. All keys
// of a queue share the hash tag "{<name>}". Waiting receivers block on XREADGROUP on a
// connection of their own. Durability is Redis's: see docs/operations.md (AOF, appendfsync).
class RedisQueue final : public queue::Queue {
 public:
  // `server` is used for the blocking connections; `client` for everything else.
  RedisQueue(boost::asio::any_io_executor executor, redis::Client& client, redis::Options server,
             queue::QueueOptions options, std::string key_prefix, std::string name = "orders");
  ~RedisQueue();

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

  // Whether each delivery's receipt is still current (its visibility timeout has not handed
  // the message to another consumer).
  boost::asio::awaitable<std::vector<bool>> are_current(const std::vector<queue::Message>& batch);
  // Deletes the `done` messages and reports the `failed` ones, in one round trip each.
  boost::asio::awaitable<void> settle(std::vector<queue::Message> done,
                                      std::vector<std::pair<queue::Message, std::string>> failed);

  // Every key of this queue starts with this; scripts of other parts that must be atomic with
  // a send (an order's intake) keep their keys under it too.
  const std::string& key_base() const { return base_; }
  redis::Client& client() { return client_; }

 private:
  class BlockingClients;
  boost::asio::awaitable<std::vector<queue::Message>> receive_now(std::size_t max,
                                                                  std::vector<std::string> tokens);
  // Blocks on the token stream for up to `at_most`: the tokens read (id, group, id, group…).
  boost::asio::awaitable<std::vector<std::string>> wait_for_tokens(std::size_t max,
                                                                   queue::milliseconds at_most);
  // The arguments of the delete and fail scripts for one delivery.
  std::vector<std::string> remove_args(const queue::Message& m) const;
  std::vector<std::string> fail_args(const queue::Message& m, std::string error) const;

  redis::Client& client_;
  queue::QueueOptions options_;
  std::string base_, consumer_;
  std::unique_ptr<BlockingClients> blocking_;
};

}  // namespace orderflow::backends
