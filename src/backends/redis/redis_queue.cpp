#include "backends/redis/redis_queue.hpp"

#include <boost/asio/this_coro.hpp>

#include <algorithm>
#include <map>

#include "base/ids.hpp"

namespace orderflow::backends {

namespace asio = boost::asio;
using redis::Command;
using redis::Reply;

namespace {

// Keys under ARGV[1]: t (token stream, consumer group "workers"), m:<id> (a message: g group,
// b body, t sent at, rc receive count, r receipt and tok token while in flight, e last error),
// l:<group> (the group's message ids in order), all (every message by sent at), delayed
// (groups waiting out a retry delay, by due time), dlq (dead-letter stream), dlqidx (message
// id → its dlq entry), dd:<dedup id> (deduplication, expiring), receipts (a counter), stats.
constexpr const char* kLibrary = R"lua(
local base = ARGV[1]
local stream, workers = base .. 't', 'workers'
local function now_ms()
  local t = redis.call('TIME')
  return tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
end
local function count(field, n)
  if n ~= 0 then redis.call('HINCRBY', base .. 'stats', field, n) end
end
local function make_ready(group)
  redis.call('XADD', stream, '*', 'g', group)
end
local function drop_token(token)
  redis.call('XACK', stream, workers, token)
  redis.call('XDEL', stream, token)
end
-- Takes a message out of the main queue; its group's token moves on to the next message.
local function leave_group(id, group, token)
  local list = base .. 'l:' .. group
  redis.call('LREM', list, 1, id)
  redis.call('ZREM', base .. 'all', id)
  redis.call('DEL', base .. 'm:' .. id)
  if token then drop_token(token) end
  if redis.call('LLEN', list) > 0 then make_ready(group) end
end
local function dead_letter(id, error, now)
  local m = redis.call('HMGET', base .. 'm:' .. id, 'g', 'b', 'rc', 't')
  local entry = redis.call('XADD', base .. 'dlq', '*', 'id', id, 'g', m[1], 'b', m[2],
                           'rc', m[3], 'e', error, 't', m[4], 'at', now)
  redis.call('HSET', base .. 'dlqidx', id, entry)
  count('dead_lettered', 1)
end
local function send_one(group, dedup, id, body, window, now)
  local dd = base .. 'dd:' .. dedup
  local existing = redis.call('GET', dd)
  if existing then
    count('deduplicated', 1)
    return {existing, 1}
  end
  redis.call('SET', dd, id, 'PX', window)
  redis.call('HSET', base .. 'm:' .. id, 'g', group, 'b', body, 't', now, 'rc', 0)
  redis.call('ZADD', base .. 'all', now, id)
  if redis.call('RPUSH', base .. 'l:' .. group, id) == 1 then make_ready(group) end
  count('sent', 1)
  return {id, 0}
end
)lua";

std::string with_library(const char* body) {
  return std::string(kLibrary) + body;
}

// ARGV: base, dedup window, then group, dedup id, message id, body for each message.
const redis::Script kSend(with_library(R"lua(
local now, out = now_ms(), {}
for i = 3, #ARGV, 4 do
  out[#out + 1] = send_one(ARGV[i], ARGV[i + 1], ARGV[i + 2], ARGV[i + 3], ARGV[2], now)
end
return out
)lua"));

// ARGV: base, consumer, max, visibility timeout, max retries, then id, group of tokens a
// blocking read took. Returns {id, receipt, group, body, receive count, sent at} per message.
const redis::Script kReceive(with_library(R"lua(
local consumer, max = ARGV[2], tonumber(ARGV[3])
local visibility, max_retries = tonumber(ARGV[4]), tonumber(ARGV[5])
local now = now_ms()
redis.pcall('XGROUP', 'CREATE', stream, workers, '0', 'MKSTREAM')
for _, group in ipairs(redis.call('ZRANGEBYSCORE', base .. 'delayed', '-inf', now)) do
  redis.call('ZREM', base .. 'delayed', group)
  make_ready(group)
end
local out = {}
local function deliver(token, group)
  local id = redis.call('LINDEX', base .. 'l:' .. group, 0)
  if not id then
    drop_token(token)
    return
  end
  local key = base .. 'm:' .. id
  local m = redis.call('HMGET', key, 'rc', 'b', 't', 'e')
  local rc = tonumber(m[1])
  -- Delivered max_retries + 1 times, and the visibility timeout ran out each time.
  if rc > max_retries then
    dead_letter(id, m[4] or 'visibility timeout expired on every delivery', now)
    leave_group(id, group, token)
    return
  end
  local receipt = tostring(redis.call('INCR', base .. 'receipts'))
  redis.call('HSET', key, 'rc', rc + 1, 'r', receipt, 'tok', token)
  out[#out + 1] = {id, receipt, group, m[2], rc + 1, m[3]}
end
for i = 6, #ARGV, 2 do
  -- Gone when the queue was purged since the blocking read.
  if #redis.call('XRANGE', stream, ARGV[i], ARGV[i]) == 1 then deliver(ARGV[i], ARGV[i + 1]) end
end
local cursor = '0-0'
repeat
  if #out >= max then break end
  local claimed = redis.call('XAUTOCLAIM', stream, workers, consumer, visibility, cursor,
                             'COUNT', max - #out)
  cursor = claimed[1]
  for _, e in ipairs(claimed[2]) do deliver(e[1], e[2][2]) end
until cursor == '0-0'
while #out < max do
  local r = redis.call('XREADGROUP', 'GROUP', workers, consumer, 'COUNT', max - #out,
                       'STREAMS', stream, '>')
  if not r then break end
  for _, e in ipairs(r[1][2]) do deliver(e[1], e[2][2]) end
end
count('received', #out)
return out
)lua"));

// ARGV: base, message id, receipt. 1 when deleted, 0 when the receipt is stale.
const redis::Script kRemove(with_library(R"lua(
local m = redis.call('HMGET', base .. 'm:' .. ARGV[2], 'r', 'g', 'tok')
if m[1] ~= ARGV[3] then return 0 end
leave_group(ARGV[2], m[2], m[3])
count('deleted', 1)
return 1
)lua"));

// ARGV: base, message id, receipt, error, max retries, retry delay.
const redis::Script kFail(with_library(R"lua(
local id, error = ARGV[2], ARGV[4]
local key = base .. 'm:' .. id
local m = redis.call('HMGET', key, 'r', 'g', 'tok', 'rc')
if m[1] ~= ARGV[3] then return 0 end
local now = now_ms()
if tonumber(m[4]) > tonumber(ARGV[5]) then
  dead_letter(id, error, now)
  leave_group(id, m[2], m[3])
  return 1
end
drop_token(m[3])
redis.call('HSET', key, 'e', error)
redis.call('HDEL', key, 'r', 'tok')
redis.call('ZADD', base .. 'delayed', now + tonumber(ARGV[6]), m[2])
count('retried', 1)
return 1
)lua"));

// ARGV: base. Returns how many messages it deleted.
const redis::Script kPurge(with_library(R"lua(
local ids = redis.call('ZRANGE', base .. 'all', 0, -1)
for _, id in ipairs(ids) do
  local key = base .. 'm:' .. id
  local group = redis.call('HGET', key, 'g')
  if group then redis.call('DEL', base .. 'l:' .. group) end
  redis.call('DEL', key)
end
redis.call('DEL', base .. 'all', base .. 'delayed', stream)
redis.call('XGROUP', 'CREATE', stream, workers, '0', 'MKSTREAM')
return #ids
)lua"));

// ARGV: base, then the message ids to move back (all when none).
const redis::Script kRedrive(with_library(R"lua(
local dlq = base .. 'dlq'
local entries = {}
if #ARGV == 1 then
  entries = redis.call('XRANGE', dlq, '-', '+')
else
  for i = 2, #ARGV do
    local entry = redis.call('HGET', base .. 'dlqidx', ARGV[i])
    if entry then
      for _, e in ipairs(redis.call('XRANGE', dlq, entry, entry)) do entries[#entries + 1] = e end
    end
  end
end
for _, e in ipairs(entries) do
  local f = {}
  for i = 1, #e[2], 2 do f[e[2][i]] = e[2][i + 1] end
  redis.call('HSET', base .. 'm:' .. f.id, 'g', f.g, 'b', f.b, 't', f.t, 'rc', 0)
  redis.call('ZADD', base .. 'all', f.t, f.id)
  if redis.call('RPUSH', base .. 'l:' .. f.g, f.id) == 1 then make_ready(f.g) end
  redis.call('XDEL', dlq, e[1])
  redis.call('HDEL', base .. 'dlqidx', f.id)
end
return #entries
)lua"));

// ARGV: base. Returns {messages, in flight, delayed, dead letters, counters, oldest sent at, now}.
const redis::Script kStats(with_library(R"lua(
local pending = redis.pcall('XPENDING', stream, workers)
local in_flight = 0
if pending.err == nil then in_flight = pending[1] end
local oldest = redis.call('ZRANGE', base .. 'all', 0, 0, 'WITHSCORES')
return {redis.call('ZCARD', base .. 'all'), in_flight, redis.call('ZCARD', base .. 'delayed'),
        redis.call('XLEN', base .. 'dlq'), redis.call('HGETALL', base .. 'stats'),
        oldest[2] or '', now_ms()}
)lua"));

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

const char* RedisQueue::lua_library() {
  return kLibrary;
}

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
    if (r.type == Reply::Type::error) throw redis::ReplyError(r.str);
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
    if (name == "sent") s.sent = value;
    if (name == "received") s.received = value;
    if (name == "deleted") s.deleted = value;
    if (name == "deduplicated") s.deduplicated = value;
    if (name == "retried") s.retried = value;
    if (name == "dead_lettered") s.dead_lettered = value;
  }
  if (!f.at(5).str.empty())
    s.oldest_age_ms = std::max<std::int64_t>(0, f.at(6).integer - std::stoll(f.at(5).str));
  co_return s;
}

}  // namespace orderflow::backends
