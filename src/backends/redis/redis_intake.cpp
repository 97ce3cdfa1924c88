#include "backends/redis/redis_intake.hpp"

#include <boost/json/parse.hpp>

#include <variant>

#include "backends/redis/redis_lua.hpp"
#include "base/ids.hpp"
#include "base/log.hpp"
#include "core/errors.hpp"

namespace orderflow::backends {

namespace asio = boost::asio;
using redis::Command;

namespace {

const redis::Script kAccept(lua_script({"queue_library.lua", "intake_accept.lua"}));

const redis::Script kMarkApplied(lua_script({"intake_mark_applied.lua"}));

// The order a message creates, if it is a create (a body that does not decode creates none).
std::optional<std::string> created_order(const std::string& body) {
  try {
    const auto message = domain::decode_message(body);
    if (const auto* create = std::get_if<domain::CreateOrder>(&message)) return create->order_id;
  } catch (const std::exception&) {
  }
  return std::nullopt;
}

// The key of an order's intake record.
std::string intake_key(const backends::RedisQueue& queue, const std::string& order_id) {
  return queue.key_base() + "in:" + order_id;
}

// A record as kAccept returns it from index `at`: order id, hash, message id, accepted at.
std::optional<ports::IntakeRecord> record_at(const std::vector<redis::Reply>& f, std::size_t at) {
  if (f.at(at).str.empty()) return std::nullopt;
  return ports::IntakeRecord{f[at].str, f.at(at + 1).str, f.at(at + 2).str,
                             std::stoll(f.at(at + 3).str)};
}

}  // namespace

asio::awaitable<ports::AcceptResult> RedisIntake::accept(ports::AcceptRequest req) {
  // A client-chosen id may name an order applied so long ago that its intake record is gone.
  bool known = false;
  if (req.client_order_id) known = (co_await orders_.order_events(req.order_id)).has_value();
  // Moved from: decide_intake below reads neither the request's JSON nor its message.
  auto& m = req.message;
  auto dedup_id = queue::dedup_id_of(m);
  std::vector<std::string> args{queue_.key_base(),
                                req.order_id,
                                req.idempotency_key.value_or(""),
                                req.request_hash,
                                std::move(req.request_json),
                                req.client_order_id ? "1" : "0",
                                known ? "1" : "0",
                                std::to_string(req.idempotency_window_ms),
                                std::to_string(req.accepted_at),
                                std::move(m.group_id),
                                std::move(dedup_id),
                                uuid_v7(),
                                std::move(m.body),
                                std::to_string(queue_.options().dedup_window.count())};
  const auto r = co_await kAccept.run(queue_.client(), {}, std::move(args));
  const auto& f = r.elements;
  if (f.at(0).str == "created")
    co_return ports::AcceptResult{ports::AcceptOutcome::created, req.order_id, f.at(1).str,
                                  req.accepted_at};
  const auto bound =
      ports::decide_intake(req, record_at(f, 1), record_at(f, 5), f.at(9).str == "1");
  if (!bound) throw std::logic_error("the intake script found a binding the rule does not see");
  co_return *bound;
}

asio::awaitable<std::optional<ports::KeyBinding>> RedisIntake::find_key_binding(
    std::string key, std::int64_t since) {
  Command bound{"GET", queue_.key_base() + "ik:" + key};
  const auto order_id = (co_await queue_.client().command(std::move(bound))).text();
  if (!order_id) co_return std::nullopt;
  Command read{"HMGET", intake_key(queue_, *order_id), "mid", "at", "req"};
  const auto r = co_await queue_.client().command(std::move(read));
  const auto& f = r.elements;
  if (f.at(0).is_nil() || std::stoll(f.at(1).str) <= since) co_return std::nullopt;
  co_return ports::KeyBinding{
      {ports::AcceptOutcome::replayed, *order_id, f[0].str, std::stoll(f[1].str)},
      domain::order_request_from_message(boost::json::parse(f.at(2).str).as_object())};
}

asio::awaitable<ports::OrderLookup> RedisQueuedOrders::find_order(std::string order_id) {
  // Redis first: an order still queued is answered from its snapshot there even while the
  // database is down (the queue takes orders through a database outage). With Redis down, the
  // database answers for the orders it has.
  std::exception_ptr redis_down;
  try {
    Command read{"HMGET", intake_key(queue_, order_id), "s", "req", "at"};
    const auto r = co_await queue_.client().command(std::move(read));
    const auto& f = r.elements;
    if (!f.at(0).is_nil() && f[0].str == "queued") {
      ports::OrderLookup found;
      found.queued = ports::QueuedOrder{
          domain::order_request_from_message(boost::json::parse(f.at(1).str).as_object()),
          std::stoll(f.at(2).str)};
      co_return found;
    }
  } catch (const core::DependencyUnavailable&) {
    redis_down = std::current_exception();
  }
  // Applied, or its intake record expired: the database has it.
  auto found = co_await database_.find_order(std::move(order_id));
  // Not there either: it may be queued in the Redis that did not answer.
  if (redis_down && !found.order && !found.queued) std::rethrow_exception(redis_down);
  co_return found;
}

asio::awaitable<std::optional<std::vector<ports::StoredEvent>>> RedisQueuedOrders::order_events(
    std::string order_id) {
  auto events = co_await database_.order_events(order_id);
  if (events) co_return events;
  Command exists{"EXISTS", intake_key(queue_, order_id)};
  if ((co_await queue_.client().command(std::move(exists))).integer == 1)
    co_return std::vector<ports::StoredEvent>{};
  co_return std::nullopt;
}

asio::awaitable<ports::BatchResult> RedisBatchApplier::apply_batch(
    std::vector<queue::Message> batch, const domain::ProcessingRules& rules) {
  // A delivery whose visibility timeout ran out belongs to another consumer now. (Should both
  // get past this, the inbox still lets only one of them apply the message.)
  const auto current = co_await queue_.are_current(batch);
  std::vector<queue::Message> ours;
  std::vector<std::string> stale;
  for (std::size_t i = 0; i < batch.size(); ++i) {
    if (current[i])
      ours.push_back(batch[i]);
    else
      stale.push_back(batch[i].message_id);
  }
  auto result = co_await inbox_.apply_batch(ours, rules);
  result.stale.insert(result.stale.end(), stale.begin(), stale.end());

  auto settlement = ports::settlement_of(ours, result);
  std::vector<std::string> applied_intakes;
  for (const auto& m : settlement.done)
    if (const auto create = created_order(m.body))
      applied_intakes.push_back(intake_key(queue_, *create));
  // The batch is committed whatever happens now. Should Redis not take the deletions, the
  // messages come back after their visibility timeout and the inbox skips them.
  // The intake records first: once a message has left the queue, reads of its order go to the
  // database.
  try {
    if (!applied_intakes.empty()) {
      std::vector<std::string> ttl{std::to_string(idempotency_window_.count())};
      co_await kMarkApplied.run(queue_.client(), std::move(applied_intakes), std::move(ttl));
    }
    co_await queue_.settle(std::move(settlement.done), std::move(settlement.failed));
  } catch (const std::exception& e) {
    log::warn("applied batch not yet deleted from the queue: it is redelivered and skipped",
              {{"error", e.what()}});
  }
  co_return result;
}

}  // namespace orderflow::backends
