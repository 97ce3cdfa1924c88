#include "backends/sqs/sqs_queue.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/json/parse.hpp>

#include <algorithm>
#include <set>
#include <stdexcept>

#include "base/async.hpp"
#include "base/ids.hpp"
#include "base/log.hpp"
#include "base/parallel.hpp"
#include "base/time.hpp"
#include "core/errors.hpp"

namespace orderflow::backends {

namespace asio = boost::asio;
namespace json = boost::json;
using queue::DeadLetter;
using queue::Message;
using Clock = std::chrono::steady_clock;

namespace {

constexpr std::size_t kBatch = 10;  // SQS's most entries in a batch, messages a receive
// SQS refuses a batch whose messages add up to more than 1 MiB (BatchRequestTooLong): this
// leaves room for the attributes. (One order's message is at most about half of it: the
// request's fields are bounded.)
constexpr std::size_t kBatchBytes = 1'000'000;
constexpr std::int64_t kMaxWaitSeconds = 20;  // SQS's longest long poll
constexpr std::size_t kMaxErrorChars = 1000;
// The message attributes a message moved by orderflow carries.
constexpr const char* kIdAttribute = "orderflow-message-id";
constexpr const char* kErrorAttribute = "orderflow-error";
constexpr const char* kCountAttribute = "orderflow-receive-count";
constexpr const char* kSentAttribute = "orderflow-sent-at";
constexpr const char* kDeadAttribute = "orderflow-dead-lettered-at";
// A queue's depths by state, as GetQueueAttributes names them.
const std::vector<std::string> kDepths{"ApproximateNumberOfMessages",
                                       "ApproximateNumberOfMessagesNotVisible",
                                       "ApproximateNumberOfMessagesDelayed"};
const std::vector<std::string> kDlqDepths{"ApproximateNumberOfMessages",
                                          "ApproximateNumberOfMessagesNotVisible"};

// SQS counts time in whole seconds: a visibility timeout is rounded up (never shorter than
// asked), a retry delay to the nearest second.
std::int64_t whole_seconds(std::chrono::milliseconds d) {
  return std::max<std::int64_t>(0, (d.count() + 999) / 1000);
}
std::int64_t nearest_seconds(std::chrono::milliseconds d) {
  return std::max<std::int64_t>(0, (d.count() + 500) / 1000);
}

// A MessageGroupId or MessageDeduplicationId: 1–128 characters of printable ASCII without
// spaces. Anything else (a long Idempotency-Key, say) is sent as its SHA-256.
std::string sqs_token(const std::string& s) {
  const bool usable = !s.empty() && s.size() <= 128 &&
                      std::all_of(s.begin(), s.end(), [](char c) { return c > ' ' && c < 127; });
  return usable ? s : sha256_hex(s);
}

std::optional<std::string> message_attribute(const json::object& m, const char* name) {
  const auto* attributes = m.if_contains("MessageAttributes");
  if (!attributes || !attributes->is_object()) return std::nullopt;
  const auto* a = attributes->as_object().if_contains(name);
  if (!a || !a->is_object()) return std::nullopt;
  const auto* v = a->as_object().if_contains("StringValue");
  if (!v || !v->is_string()) return std::nullopt;
  return std::string(v->as_string());
}

std::string system_attribute(const json::object& m, const char* name) {
  const auto* attributes = m.if_contains("Attributes");
  if (!attributes || !attributes->is_object()) return "";
  const auto* v = attributes->as_object().if_contains(name);
  return v && v->is_string() ? std::string(v->as_string()) : "";
}

std::int64_t number_or(const std::string& text, std::int64_t otherwise) {
  try {
    return text.empty() ? otherwise : std::stoll(text);
  } catch (const std::exception&) {
    return otherwise;
  }
}

Message message_from(const json::object& m) {
  Message out;
  out.message_id =
      message_attribute(m, kIdAttribute).value_or(std::string(m.at("MessageId").as_string()));
  out.receipt = m.at("ReceiptHandle").as_string();
  out.group_id = system_attribute(m, "MessageGroupId");
  out.body = m.at("Body").as_string();
  out.receive_count =
      static_cast<int>(number_or(system_attribute(m, "ApproximateReceiveCount"), 1));
  out.sent_at = number_or(system_attribute(m, "SentTimestamp"), 0);
  return out;
}

json::object string_attribute(const std::string& value) {
  return {{"DataType", "String"}, {"StringValue", value}};
}
json::object number_attribute(std::int64_t value) {
  return {{"DataType", "Number"}, {"StringValue", std::to_string(value)}};
}

// A receipt SQS no longer takes: the delivery's visibility ran out (another one owns it).
bool stale_receipt(const aws::SqsError& e) {
  return e.code() == "ReceiptHandleIsInvalid" || e.code() == "MessageNotInflight" ||
         e.code() == "InvalidParameterValue";
}

json::array receipt_entries(const std::vector<std::string>& receipts) {
  json::array entries;
  for (std::size_t i = 0; i < receipts.size(); ++i)
    entries.push_back({{"Id", std::to_string(i)}, {"ReceiptHandle", receipts[i]}});
  return entries;
}

}  // namespace

SqsQueue::SqsQueue(aws::SqsClient& client, std::string queue_url, queue::QueueOptions options)
    : client_(client), url_(std::move(queue_url)), options_(std::move(options)) {
  if (!url_.ends_with(".fifo"))
    throw std::invalid_argument("SQS_QUEUE_URL must name a FIFO queue (ending in .fifo)");
  options_.dedup_window = std::chrono::minutes(5);
  options_.visibility_timeout = std::chrono::seconds(whole_seconds(options_.visibility_timeout));
}

asio::awaitable<json::object> SqsQueue::call(const char* action, json::object request,
                                             std::chrono::milliseconds wait) {
  std::string name(action);
  co_return co_await client_.call(std::move(name), std::move(request), wait);
}

asio::awaitable<void> SqsQueue::ready() {
  if (ready_) co_return;
  json::object request{{"QueueUrl", url_}, {"AttributeNames", {"FifoQueue", "RedrivePolicy"}}};
  const auto answer = co_await call("GetQueueAttributes", std::move(request));
  const auto* attributes = answer.if_contains("Attributes");
  const auto attribute = [&](const char* name) -> std::string {
    if (!attributes || !attributes->is_object()) return "";
    const auto* v = attributes->as_object().if_contains(name);
    return v && v->is_string() ? std::string(v->as_string()) : "";
  };
  if (attribute("FifoQueue") != "true")
    throw std::invalid_argument("SQS_QUEUE_URL names a queue that is not FIFO");
  const auto policy_text = attribute("RedrivePolicy");
  if (policy_text.empty())
    throw std::invalid_argument(
        "the SQS queue has no RedrivePolicy: give it a FIFO dead-letter queue "
        "(docs/operations.md)");
  const auto policy = json::parse(policy_text).as_object();
  const auto& count = policy.at("maxReceiveCount");
  const auto max_receives = count.is_string() ? std::stoll(std::string(count.as_string()))
                                              : count.to_number<std::int64_t>();
  // arn:aws:sqs:<region>:<account>:<name>
  const std::string arn(policy.at("deadLetterTargetArn").as_string());
  std::vector<std::string> parts;
  for (std::size_t at = 0;;) {
    const auto colon = arn.find(':', at);
    parts.push_back(arn.substr(at, colon - at));
    if (colon == std::string::npos) break;
    at = colon + 1;
  }
  if (parts.size() != 6 || max_receives < 1)
    throw std::invalid_argument("the SQS queue's RedrivePolicy is not understood: " + policy_text);
  json::object lookup{{"QueueName", parts[5]}, {"QueueOwnerAWSAccountId", parts[4]}};
  const auto dlq = co_await call("GetQueueUrl", std::move(lookup));
  std::lock_guard lock(mutex_);
  dlq_url_ = dlq.at("QueueUrl").as_string();
  options_.max_retries = static_cast<int>(max_receives - 1);
  ready_ = true;
}

asio::awaitable<std::vector<queue::SendResult>> SqsQueue::send(
    std::vector<queue::OutgoingMessage> batch) {
  std::vector<json::object> entries;
  for (auto& m : batch) {
    const auto dedup = sqs_token(queue::dedup_id_of(m));
    entries.push_back({{"MessageBody", std::move(m.body)},
                       {"MessageGroupId", sqs_token(m.group_id)},
                       {"MessageDeduplicationId", dedup}});
  }
  const auto ids = co_await send_entries(url_, std::move(entries));
  sent_ += static_cast<std::int64_t>(ids.size());
  std::vector<queue::SendResult> out;
  for (const auto& id : ids) out.push_back({id, false});
  co_return out;
}

asio::awaitable<std::vector<std::string>> SqsQueue::send_entries(
    std::string url, std::vector<json::object> entries) {
  std::vector<asio::awaitable<std::vector<std::string>>> calls;
  std::vector<json::object> chunk;
  std::size_t chunk_bytes = 0;
  for (auto& entry : entries) {
    const auto bytes = entry.at("MessageBody").as_string().size();
    if (!chunk.empty() && (chunk.size() == kBatch || chunk_bytes + bytes > kBatchBytes)) {
      calls.push_back(send_chunk(url, std::move(chunk)));
      chunk = {};
      chunk_bytes = 0;
    }
    chunk.push_back(std::move(entry));
    chunk_bytes += bytes;
  }
  if (!chunk.empty()) calls.push_back(send_chunk(url, std::move(chunk)));
  auto chunks = co_await all_of(std::move(calls));
  std::vector<std::string> ids;
  for (auto& chunk : chunks)
    for (auto& id : chunk) ids.push_back(std::move(id));
  co_return ids;
}

asio::awaitable<std::vector<std::string>> SqsQueue::send_chunk(std::string url,
                                                               std::vector<json::object> entries) {
  std::vector<std::string> ids(entries.size());
  std::vector<std::size_t> pending(entries.size());
  for (std::size_t i = 0; i < pending.size(); ++i) pending[i] = i;
  // SQS may fail single entries of a batch it took (throttling, an internal error): those are
  // sent again, as the SDKs advise; an entry refused for what it is (SenderFault) is not.
  for (int attempt = 1; !pending.empty(); ++attempt) {
    json::array list;
    for (const auto i : pending) {
      auto entry = entries[i];
      entry["Id"] = std::to_string(i);
      list.push_back(std::move(entry));
    }
    json::object request{{"QueueUrl", url}, {"Entries", std::move(list)}};
    const auto answer = co_await call("SendMessageBatch", std::move(request));
    for (const auto& ok : answer.at("Successful").as_array()) {
      const auto i = std::stoul(std::string(ok.at("Id").as_string()));
      ids.at(i) = ok.at("MessageId").as_string();
    }
    pending.clear();
    std::string last_error;
    if (const auto* failed = answer.if_contains("Failed")) {
      for (const auto& f : failed->as_array()) {
        const auto& o = f.as_object();
        const std::string code(o.at("Code").as_string());
        const auto* message = o.if_contains("Message");
        last_error =
            code + (message && message->is_string() ? ": " + std::string(message->as_string())
                                                    : std::string());
        const auto* sender = o.if_contains("SenderFault");
        if (sender && sender->is_bool() && sender->as_bool())
          throw aws::SqsError(code, 400, last_error);
        pending.push_back(std::stoul(std::string(o.at("Id").as_string())));
      }
    }
    if (pending.empty()) break;
    if (attempt == 3) throw aws::SqsUnavailable("SendMessageBatch: " + last_error);
    asio::steady_timer pause(co_await asio::this_coro::executor);
    pause.expires_after(std::chrono::milliseconds(50 * attempt));
    co_await pause.async_wait(asio::use_awaitable);
  }
  co_return ids;
}

// A receive's long poll, which the call's answer or interrupt() ends, whichever comes first.
struct SqsQueue::LongPoll {
  std::mutex mutex;
  Completion done;
  bool ended = false;
  std::optional<json::object> answer;
  std::exception_ptr error;

  void start(Completion completion) {
    std::unique_lock lock(mutex);
    if (!ended) {
      done = std::move(completion);
      return;
    }
    lock.unlock();  // interrupted before it began
    completion(nullptr);
  }
  // No answer (`a` empty, `e` null, from interrupt()) ends the wait with nothing received.
  // When the wait had already ended (interrupted), the answer is not taken: it is returned.
  std::optional<json::object> finish(std::exception_ptr e, std::optional<json::object> a) {
    std::unique_lock lock(mutex);
    if (ended) return a;
    ended = true;
    error = e;
    answer = std::move(a);
    if (!done) return std::nullopt;  // start() completes it
    auto completion = std::move(done);
    lock.unlock();
    completion(nullptr);
    return std::nullopt;
  }
};

std::vector<Message> SqsQueue::take_held(std::size_t max) {
  std::vector<Message> out;
  std::lock_guard lock(mutex_);
  const auto now = Clock::now();
  for (auto it = held_.begin(); it != held_.end() && out.size() < max;) {
    auto& [group, waiting] = *it;
    // One whose visibility has run out is SQS's again, and comes back in a receive.
    while (!waiting.empty() && waiting.front().until <= now) waiting.pop_front();
    const auto busy = busy_.find(group);
    if (!waiting.empty() && (busy == busy_.end() || busy->second <= now)) {
      busy_[group] = waiting.front().until;
      out.push_back(std::move(waiting.front().message));
      waiting.pop_front();
    }
    it = waiting.empty() ? held_.erase(it) : std::next(it);
  }
  return out;
}

asio::awaitable<std::vector<Message>> SqsQueue::receive(std::size_t max, queue::milliseconds wait) {
  co_await ready();
  max = std::clamp<std::size_t>(max, 1, kBatch);
  auto out = take_held(max);
  if (!out.empty()) co_return out;
  const auto visibility = whole_seconds(options_.visibility_timeout);
  json::object request{{"QueueUrl", url_},
                       {"MaxNumberOfMessages", max},
                       {"WaitTimeSeconds", std::min(kMaxWaitSeconds, whole_seconds(wait))},
                       {"VisibilityTimeout", visibility},
                       {"AttributeNames", {"All"}},
                       {"MessageAttributeNames", {"All"}}};
  const auto received_at = Clock::now();
  auto poll = std::make_shared<LongPoll>();
  {
    std::lock_guard lock(mutex_);
    if (interrupted_) co_return out;
    polling_.insert(poll);
  }
  const auto executor = co_await asio::this_coro::executor;
  std::string action("ReceiveMessage");
  // The call runs on its own, so that interrupt() can end the wait before SQS answers.
  auto call = client_.call(std::move(action), std::move(request), wait);
  co_await await_completion([&](Completion done) {
    // Copies, and the call started before the wait: once `done` has run (at once, if
    // interrupt() came first), this coroutine and its frame may be gone.
    const auto waiting = poll;
    const auto ex = executor;
    auto op = std::move(call);
    ++polls_running_;
    asio::co_spawn(ex, std::move(op), [this, waiting, ex](std::exception_ptr e, json::object a) {
      auto cut_off = waiting->finish(e, std::move(a));
      if (!cut_off || e) {
        --polls_running_;
        return;
      }
      // Cut off by interrupt(): what SQS delivered to it goes back now.
      asio::co_spawn(ex, release(std::move(*cut_off)),
                     [this](std::exception_ptr) { --polls_running_; });
    });
    waiting->start(std::move(done));
  });
  {
    std::lock_guard lock(mutex_);
    polling_.erase(poll);
  }
  if (poll->error) std::rethrow_exception(poll->error);
  if (!poll->answer) co_return out;  // interrupted
  const auto* messages = poll->answer->if_contains("Messages");
  if (!messages) co_return out;
  const auto until = received_at + std::chrono::seconds(visibility);
  std::lock_guard lock(mutex_);
  for (const auto& m : messages->as_array()) {
    auto message = message_from(m.as_object());
    ++received_;
    const auto busy = busy_.find(message.group_id);
    if (busy != busy_.end() && busy->second > received_at) {
      held_[message.group_id].push_back({std::move(message), until});
    } else {
      busy_[message.group_id] = until;
      out.push_back(std::move(message));
    }
  }
  co_return out;
}

asio::awaitable<void> SqsQueue::interrupt() {
  std::set<std::shared_ptr<LongPoll>> polls;
  {
    std::lock_guard lock(mutex_);
    interrupted_ = true;
    polls.swap(polling_);
  }
  for (const auto& p : polls) p->finish(nullptr, std::nullopt);
  // A poll SQS has just answered is cut off as well: its answer, on the wire, gets a moment to
  // arrive, so that the messages in it go back at once rather than after the visibility
  // timeout. Polls still waiting after that are left (they hold nothing yet).
  asio::steady_timer pause(co_await asio::this_coro::executor);
  for (int i = 0; i < 50 && polls_running_ > 0; ++i) {
    pause.expires_after(std::chrono::milliseconds(10));
    co_await pause.async_wait(asio::use_awaitable);
  }
}

asio::awaitable<void> SqsQueue::release(json::object answer) {
  const auto* messages = answer.if_contains("Messages");
  if (!messages || messages->as_array().empty()) co_return;
  std::vector<std::string> receipts;
  for (const auto& m : messages->as_array())
    receipts.push_back(message_from(m.as_object()).receipt);
  co_await let_go(url_, std::move(receipts), "messages received while stopping not let go early");
}

asio::awaitable<void> SqsQueue::let_go(std::string url, std::vector<std::string> receipts,
                                       const char* what) {
  // Only sooner than their visibility would run out anyway: a failure here loses nothing.
  try {
    for (std::size_t at = 0; at < receipts.size(); at += kBatch) {
      const std::vector<std::string> chunk(
          receipts.begin() + static_cast<std::ptrdiff_t>(at),
          receipts.begin() + static_cast<std::ptrdiff_t>(std::min(receipts.size(), at + kBatch)));
      json::array entries = receipt_entries(chunk);
      for (auto& e : entries) e.as_object()["VisibilityTimeout"] = 0;
      json::object request{{"QueueUrl", url}, {"Entries", std::move(entries)}};
      co_await call("ChangeMessageVisibilityBatch", std::move(request));
    }
  } catch (const std::exception& e) {
    log::warn(what, {{"error", e.what()}});
  }
}

void SqsQueue::settled(const std::string& group) {
  std::lock_guard lock(mutex_);
  busy_.erase(group);
}

asio::awaitable<bool> SqsQueue::remove(const Message& m) {
  json::object request{{"QueueUrl", url_}, {"ReceiptHandle", m.receipt}};
  bool current = true;
  try {
    co_await call("DeleteMessage", std::move(request));
    ++deleted_;
  } catch (const aws::SqsError& e) {
    if (!stale_receipt(e)) throw;
    current = false;
  }
  settled(m.group_id);
  co_return current;
}

asio::awaitable<bool> SqsQueue::change_visibility(const Message& m, std::int64_t seconds) {
  json::object request{
      {"QueueUrl", url_}, {"ReceiptHandle", m.receipt}, {"VisibilityTimeout", seconds}};
  try {
    co_await call("ChangeMessageVisibility", std::move(request));
  } catch (const aws::SqsError& e) {
    if (!stale_receipt(e)) throw;
    co_return false;
  }
  co_return true;
}

asio::awaitable<bool> SqsQueue::fail(const Message& m, std::string error) {
  co_await ready();
  bool current;
  if (m.receive_count <= options_.max_retries) {
    // Invisible until the retry delay has passed: SQS delivers it (and its group) again then.
    const auto delay = nearest_seconds(queue::retry_delay(options_, m.receive_count));
    current = co_await change_visibility(m, delay);
    if (current) ++retried_;
  } else {
    // Still ours (not delivered to another consumer meanwhile), and kept so while it moves.
    current = co_await change_visibility(m, whole_seconds(options_.visibility_timeout));
    if (current) co_await move_to_dlq(m, error);
  }
  settled(m.group_id);
  co_await release_held(m.group_id);
  co_return current;
}

asio::awaitable<void> SqsQueue::move_to_dlq(const Message& m, const std::string& error) {
  json::object attributes{{kIdAttribute, string_attribute(m.message_id)},
                          {kCountAttribute, number_attribute(m.receive_count)},
                          {kSentAttribute, number_attribute(m.sent_at)},
                          {kDeadAttribute, number_attribute(now_ms())}};
  if (!error.empty())
    attributes[kErrorAttribute] = string_attribute(error.substr(0, kMaxErrorChars));
  // Its own deduplication id: a message dead-lettered again after a redrive is a new entry.
  json::object request{{"QueueUrl", dlq_url_},
                       {"MessageBody", m.body},
                       {"MessageGroupId", sqs_token(m.group_id)},
                       {"MessageDeduplicationId", uuid_v7()},
                       {"MessageAttributes", std::move(attributes)}};
  // In the DLQ before it leaves the queue: a crash in between leaves it in both, never in none.
  co_await call("SendMessage", std::move(request));
  json::object remove{{"QueueUrl", url_}, {"ReceiptHandle", m.receipt}};
  co_await call("DeleteMessage", std::move(remove));
  ++dead_lettered_;
}

asio::awaitable<void> SqsQueue::release_held(const std::string& group) {
  std::deque<Held> waiting;
  {
    std::lock_guard lock(mutex_);
    const auto it = held_.find(group);
    if (it == held_.end()) co_return;
    waiting.swap(it->second);
    held_.erase(it);
  }
  std::vector<std::string> receipts;
  for (const auto& h : waiting) receipts.push_back(h.message.receipt);
  co_await let_go(url_, std::move(receipts), "messages held behind a failed one not let go early");
}

asio::awaitable<void> SqsQueue::settle(std::vector<Message> done,
                                       std::vector<std::pair<Message, std::string>> failed) {
  std::vector<asio::awaitable<bool>> calls;
  for (std::size_t at = 0; at < done.size(); at += kBatch) {
    std::vector<std::string> receipts;
    for (std::size_t i = at; i < std::min(done.size(), at + kBatch); ++i)
      receipts.push_back(done[i].receipt);
    calls.push_back(delete_batch(url_, std::move(receipts)));
  }
  co_await all_of(std::move(calls));
  deleted_ += static_cast<std::int64_t>(done.size());
  for (const auto& m : done) settled(m.group_id);
  for (auto& [m, error] : failed) co_await fail(m, std::move(error));
}

asio::awaitable<bool> SqsQueue::delete_batch(std::string url, std::vector<std::string> receipts) {
  json::object request{{"QueueUrl", url}, {"Entries", receipt_entries(receipts)}};
  co_await call("DeleteMessageBatch", std::move(request));
  co_return true;
}

asio::awaitable<std::map<std::string, std::int64_t>> SqsQueue::attributes(
    std::string url, std::vector<std::string> names) {
  json::array wanted;
  for (const auto& n : names) wanted.emplace_back(n);
  json::object request{{"QueueUrl", url}, {"AttributeNames", std::move(wanted)}};
  const auto answer = co_await call("GetQueueAttributes", std::move(request));
  std::map<std::string, std::int64_t> out;
  for (const auto& n : names) out[n] = number_or(system_attribute(answer, n.c_str()), 0);
  co_return out;
}

asio::awaitable<queue::QueueStats> SqsQueue::stats() {
  co_await ready();
  std::vector<asio::awaitable<std::map<std::string, std::int64_t>>> calls;
  calls.push_back(attributes(url_, kDepths));
  calls.push_back(attributes(dlq_url_, kDlqDepths));
  const auto found = co_await all_of(std::move(calls));
  const auto& main = found.at(0);
  const auto& dlq = found.at(1);
  queue::QueueStats s;
  s.backend = "sqs";
  s.visible = main.at("ApproximateNumberOfMessages");
  s.in_flight = main.at("ApproximateNumberOfMessagesNotVisible");
  s.delayed = main.at("ApproximateNumberOfMessagesDelayed");
  s.dead_letter =
      dlq.at("ApproximateNumberOfMessages") + dlq.at("ApproximateNumberOfMessagesNotVisible");
  s.sent = sent_;
  s.received = received_;
  s.deleted = deleted_;
  s.retried = retried_;
  s.dead_lettered = dead_lettered_;
  co_return s;
}

asio::awaitable<std::int64_t> SqsQueue::purge() {
  co_await ready();
  const auto before = co_await attributes(url_, kDepths);
  json::object request{{"QueueUrl", url_}};
  bool too_soon = false;
  try {
    co_await call("PurgeQueue", std::move(request));
  } catch (const aws::SqsError& e) {
    if (e.code() != "PurgeQueueInProgress") throw;
    too_soon = true;
  }
  if (too_soon)
    throw core::conflict("SQS purges a queue at most once a minute: a purge is still running");
  {
    std::lock_guard lock(mutex_);
    held_.clear();
    busy_.clear();
  }
  std::int64_t purged = 0;
  for (const auto& [name, n] : before) purged += n;
  co_return purged;
}

asio::awaitable<std::vector<json::object>> SqsQueue::receive_dlq(std::size_t max,
                                                                 std::int64_t visibility) {
  json::object request{{"QueueUrl", dlq_url_},
                       {"MaxNumberOfMessages", std::clamp<std::size_t>(max, 1, kBatch)},
                       {"VisibilityTimeout", visibility},
                       {"AttributeNames", {"All"}},
                       {"MessageAttributeNames", {"All"}}};
  const auto answer = co_await call("ReceiveMessage", std::move(request));
  std::vector<json::object> out;
  if (const auto* messages = answer.if_contains("Messages"))
    for (const auto& m : messages->as_array()) out.push_back(m.as_object());
  co_return out;
}

asio::awaitable<std::vector<DeadLetter>> SqsQueue::dead_letters(std::size_t limit) {
  co_await ready();
  // A look without taking: received with no visibility timeout. A FIFO DLQ shows the head of
  // each of its groups.
  std::vector<DeadLetter> out;
  std::set<std::string> seen;
  while (out.size() < limit) {
    bool new_ones = false;
    const auto received = co_await receive_dlq(limit - out.size(), 0);
    for (const auto& m : received) {
      const auto message = message_from(m);
      if (!seen.insert(message.message_id).second || out.size() == limit) continue;
      new_ones = true;
      DeadLetter d;
      d.message_id = message.message_id;
      d.group_id = message.group_id;
      d.body = message.body;
      d.receive_count = static_cast<int>(
          number_or(message_attribute(m, kCountAttribute).value_or(""), message.receive_count));
      d.last_error = message_attribute(m, kErrorAttribute);
      d.sent_at = number_or(message_attribute(m, kSentAttribute).value_or(""), message.sent_at);
      if (const auto at = message_attribute(m, kDeadAttribute))
        d.dead_lettered_at = number_or(*at, 0);
      out.push_back(std::move(d));
    }
    if (!new_ones) break;
  }
  co_return out;
}

asio::awaitable<std::int64_t> SqsQueue::redrive(std::vector<std::string> ids) {
  co_await ready();
  const std::set<std::string> wanted(ids.begin(), ids.end());
  std::set<std::string> seen;
  std::int64_t moved = 0;
  const auto hold = whole_seconds(options_.visibility_timeout);
  for (;;) {
    std::vector<json::object> entries;
    std::vector<std::string> taken, passed;
    bool new_ones = false;
    const auto received = co_await receive_dlq(kBatch, hold);
    for (const auto& m : received) {
      const auto message = message_from(m);
      new_ones = seen.insert(message.message_id).second || new_ones;
      if (!wanted.empty() && !wanted.contains(message.message_id)) {
        passed.push_back(message.receipt);
        continue;
      }
      // To the queue's tail, under its id, as a new message (deliveries counted afresh).
      json::object attributes{{kIdAttribute, string_attribute(message.message_id)}};
      entries.push_back({{"MessageBody", message.body},
                         {"MessageGroupId", sqs_token(message.group_id)},
                         {"MessageDeduplicationId", uuid_v7()},
                         {"MessageAttributes", std::move(attributes)}});
      taken.push_back(message.receipt);
    }
    if (!entries.empty()) {
      co_await send_entries(url_, std::move(entries));
      co_await delete_batch(dlq_url_, taken);
      moved += static_cast<std::int64_t>(taken.size());
    }
    if (!passed.empty())
      co_await let_go(dlq_url_, std::move(passed), "dead letters passed over not let go early");
    if (!new_ones || (!wanted.empty() && moved >= static_cast<std::int64_t>(wanted.size()))) break;
  }
  sent_ += moved;
  co_return moved;
}

}  // namespace orderflow::backends
