#include "backends/redis/redis_queue.hpp"

#include <boost/asio/this_coro.hpp>

#include <algorithm>
#include <map>

#include "backends/redis/redis_lua.hpp"
#include "base/ids.hpp"

namespace orderflow::backends {

namespace asio = boost::asio;
using redis::Command;
using redis::Reply;

namespace {

// lua/queue_*.lua: each operation is one script over the keys queue_library.lua describes.
const redis::Script kSend(lua_script({"queue_library.lua", "queue_send.lua"}));
const redis::Script kReceive(lua_script({"queue_library.lua", "queue_receive.lua"}));
const redis::Script kRemove(lua_script({"queue_library.lua", "queue_remove.lua"}));
const redis::Script kFail(lua_script({"queue_library.lua", "queue_fail.lua"}));
const redis::Script kPurge(lua_script({"queue_library.lua", "queue_purge.lua"}));
const redis::Script kRedrive(lua_script({"queue_library.lua", "queue_redrive.lua"}));
const redis::Script kStats(lua_script({"queue_library.lua", "queue_stats.lua"}));

std::int64_t integer_of(const Reply& r) {
  if (r.type == Reply::Type::integer) return r.integer;
  const auto text = r.text();
  return text && !text->empty() ? std::stoll(*text) : 0;
}

// A stream entry's fields as name → value.
std::map<std::string, std::string> fields_of(const Reply& entry) {
  std::map<std::string, std::string> out;
  const auto& f = entry.elements.at(1).elements;
  for (std::size_t i = 0; i + 1 < f.size(); i += 2) out[f[i].str] = f[i + 1].str;
  return out;
}

// Blocking reads hold their connection, so each waiting receiver needs one of its own.
constexpr queue::milliseconds kMaxBlock{2000};

}  // namespace

// Connections for blocking reads, kept for reuse.
class RedisQueue::BlockingClients {
 public:
  BlockingClients(asio::any_io_executor executor, redis::Options options)
      : executor_(std::move(executor)), options_(std::move(options)) {
    options_.command_timeout += kMaxBlock;
  }
  // One connection for the lease's lifetime; back to the idle ones afterwards.
  class Lease {
   public:
    Lease(BlockingClients& owner, std::unique_ptr<redis::Client> c)
        : owner_(owner), client_(std::move(c)) {}
    ~Lease() {
      std::lock_guard lock(owner_.mutex_);
      owner_.idle_.push_back(std::move(client_));
    }
    redis::Client& operator*() { return *client_; }

   private:
    BlockingClients& owner_;
    std::unique_ptr<redis::Client> client_;
  };
  Lease take() {
    std::lock_guard lock(mutex_);
    if (idle_.empty()) return Lease(*this, std::make_unique<redis::Client>(executor_, options_));
    auto c = std::move(idle_.back());
    idle_.pop_back();
    return Lease(*this, std::move(c));
  }

 private:
  asio::any_io_executor executor_;
  redis::Options options_;
  std::mutex mutex_;
  std::vector<std::unique_ptr<redis::Client>> idle_;
};

RedisQueue::RedisQueue(asio::any_io_executor executor, redis::Client& client, redis::Options server,
                       queue::QueueOptions options, std::string key_prefix, std::string name)
    : client_(client),
      options_(std::move(options)),
      base_(key_prefix + "q:{" + name + "}:"),
      consumer_(uuid_v7()),
      blocking_(std::make_unique<BlockingClients>(std::move(executor), std::move(server))) {}

RedisQueue::~RedisQueue() = default;

asio::awaitable<std::vector<queue::SendResult>> RedisQueue::send(
    std::vector<queue::OutgoingMessage> batch) {
  std::vector<std::string> args{base_, std::to_string(options_.dedup_window.count())};
  for (auto& m : batch) {
    args.push_back(std::move(m.group_id));
    args.push_back(queue::dedup_id_of(m));
    args.push_back(uuid_v7());
    args.push_back(std::move(m.body));
  }
  const auto r = co_await kSend.run(client_, {}, std::move(args));
  std::vector<queue::SendResult> out;
  for (const auto& e : r.elements)
    out.push_back({e.elements.at(0).str, e.elements.at(1).integer == 1});
  co_return out;
}

asio::awaitable<std::vector<queue::Message>> RedisQueue::receive_now(
    std::size_t max, std::vector<std::string> tokens) {
  std::vector<std::string> args{base_, consumer_, std::to_string(max),
                                std::to_string(options_.visibility_timeout.count()),
                                std::to_string(options_.max_retries)};
  for (auto& t : tokens) args.push_back(std::move(t));
  const auto r = co_await kReceive.run(client_, {}, std::move(args));
  std::vector<queue::Message> out;
  for (const auto& e : r.elements) {
    const auto& f = e.elements;
    out.push_back({f.at(0).str, f.at(1).str, f.at(2).str, f.at(3).str,
                   static_cast<int>(f.at(4).integer), integer_of(f.at(5))});
  }
  co_return out;
}

asio::awaitable<std::vector<std::string>> RedisQueue::wait_for_tokens(std::size_t max,
                                                                      queue::milliseconds at_most) {
  auto lease = blocking_->take();
  Command read{"XREADGROUP", "GROUP",
               "workers",    consumer_,
               "COUNT",      std::to_string(max),
               "BLOCK",      std::to_string(std::max<std::int64_t>(1, at_most.count())),
               "STREAMS",    base_ + "t",
               ">"};
  std::vector<Command> cmds;
  cmds.push_back(std::move(read));
  const auto replies = co_await (*lease).pipeline(std::move(cmds));
  // nil when the wait ran out; an error (NOGROUP) when the stream is gone: the next receive
  // creates it again.
  std::vector<std::string> tokens;
  const auto& reply = replies.at(0);
  if (reply.type != Reply::Type::array) co_return tokens;
  for (const auto& entry : reply.elements.at(0).elements.at(1).elements) {
    tokens.push_back(entry.elements.at(0).str);
    tokens.push_back(fields_of(entry)["g"]);
  }
  co_return tokens;
}

asio::awaitable<std::vector<queue::Message>> RedisQueue::receive(std::size_t max,
                                                                 queue::milliseconds wait) {
  const auto deadline = std::chrono::steady_clock::now() + wait;
  std::vector<std::string> tokens;
  for (;;) {
    auto got = co_await receive_now(max, std::move(tokens));
    const auto left = std::chrono::duration_cast<queue::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (!got.empty() || left.count() <= 0) co_return got;
    // Retry delays run out without a token being added: look again every poll interval.
    const auto block = std::min({left, options_.poll_interval, kMaxBlock});
    tokens = co_await wait_for_tokens(max, block);
  }
}

asio::awaitable<std::vector<bool>> RedisQueue::are_current(
    const std::vector<queue::Message>& batch) {
  std::vector<Command> reads;
  for (const auto& m : batch) reads.push_back({"HGET", base_ + "m:" + m.message_id, "r"});
  const auto replies = co_await client_.pipeline(std::move(reads));
  std::vector<bool> out;
  for (std::size_t i = 0; i < batch.size(); ++i)
    out.push_back(replies.at(i).type == Reply::Type::string && replies[i].str == batch[i].receipt);
  co_return out;
}

std::vector<std::string> RedisQueue::remove_args(const queue::Message& m) const {
  return {base_, m.message_id, m.receipt};
}

std::vector<std::string> RedisQueue::fail_args(const queue::Message& m, std::string error) const {
  return {base_,
          m.message_id,
          m.receipt,
          std::move(error),
          std::to_string(options_.max_retries),
          std::to_string(queue::retry_delay(options_, m.receive_count).count())};
}

asio::awaitable<bool> RedisQueue::remove(const queue::Message& m) {
  co_return (co_await kRemove.run(client_, {}, remove_args(m))).integer == 1;
}

asio::awaitable<bool> RedisQueue::fail(const queue::Message& m, std::string error) {
  co_return (co_await kFail.run(client_, {}, fail_args(m, std::move(error)))).integer == 1;
}

asio::awaitable<void> RedisQueue::settle(
    std::vector<queue::Message> done, std::vector<std::pair<queue::Message, std::string>> failed) {
  // A stale receipt is not an error here: the message was redelivered, and the worker's inbox
  // makes that delivery a no-op.
  std::vector<Command> removes;
  for (const auto& m : done) removes.push_back(kRemove.call({}, remove_args(m)));
  std::vector<Command> fails;
  for (auto& [m, error] : failed) fails.push_back(kFail.call({}, fail_args(m, std::move(error))));
  std::vector<Reply> replies;
  if (!removes.empty()) replies = co_await kRemove.run(client_, std::move(removes));
  if (!fails.empty()) {
    auto more = co_await kFail.run(client_, std::move(fails));
    replies.insert(replies.end(), more.begin(), more.end());
  }
  for (const auto& r : replies)
    if (r.type == Reply::Type::error) redis::throw_reply_error(r.str);
}

asio::awaitable<std::int64_t> RedisQueue::purge() {
  std::vector<std::string> args{base_};
  co_return (co_await kPurge.run(client_, {}, std::move(args))).integer;
}

asio::awaitable<std::vector<queue::DeadLetter>> RedisQueue::dead_letters(std::size_t limit) {
  Command range{"XRANGE", base_ + "dlq", "-", "+", "COUNT", std::to_string(limit)};
  const auto r = co_await client_.command(std::move(range));
  std::vector<queue::DeadLetter> out;
  for (const auto& entry : r.elements) {
    auto f = fields_of(entry);
    out.push_back({f["id"], f["g"], f["b"], static_cast<int>(std::stoll(f["rc"])), f["e"],
                   std::stoll(f["t"]), std::stoll(f["at"])});
  }
  co_return out;
}

asio::awaitable<std::int64_t> RedisQueue::redrive(std::vector<std::string> ids) {
  ids.insert(ids.begin(), base_);
  co_return (co_await kRedrive.run(client_, {}, std::move(ids))).integer;
}

asio::awaitable<queue::QueueStats> RedisQueue::stats() {
  std::vector<std::string> args{base_};
  const auto r = co_await kStats.run(client_, {}, std::move(args));
  const auto& f = r.elements;
  queue::QueueStats s;
  s.backend = "redis";
  const auto messages = f.at(0).integer;
  s.in_flight = f.at(1).integer;
  s.delayed = f.at(2).integer;
  s.visible = std::max<std::int64_t>(0, messages - s.in_flight - s.delayed);
  s.dead_letter = f.at(3).integer;
  const auto& counters = f.at(4).elements;
  for (std::size_t i = 0; i + 1 < counters.size(); i += 2) {
    const auto& name = counters[i].str;
    const auto value = integer_of(counters[i + 1]);
    for (const auto& [counter, field] : queue::kQueueCounters)
      if (name == counter) s.*field = value;
  }
  if (!f.at(5).str.empty())
    s.oldest_age_ms = std::max<std::int64_t>(0, f.at(6).integer - std::stoll(f.at(5).str));
  co_return s;
}

}  // namespace orderflow::backends
