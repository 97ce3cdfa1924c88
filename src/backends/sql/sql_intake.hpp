#pragma once
// The intake on an SQL server whose queue is in the same database, written once for PostgreSQL
// and MySQL (`Pool` the driver's pool, `Dialect` as in sql_catalog.hpp, the SQL the backend's
// orders.sql: release_expired_key, intake_by_key, intake_by_id, key_binding). Concurrent
// accepts are written together (group commit: one transaction, one statement per table for
// many orders) by `create`, which writes a group's messages and intake records and returns
// each one's message id. With the queue in another system (SQS), IntakeBeforeQueue below is the
// `create`.
#include <boost/asio/awaitable.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/json/parse.hpp>

#include <functional>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <variant>
#include <vector>

#include "backends/sql/sql_files.hpp"
#include "base/log.hpp"
#include "base/time.hpp"
#include "core/domain/processing.hpp"
#include "core/ports/intake.hpp"
#include "drivers/sqlclient/group_commit.hpp"

namespace orderflow::backends {

template <class Pool, class Dialect>
class SqlIntake final : public ports::Intake {
 public:
  using Create = std::function<boost::asio::awaitable<std::vector<std::string>>(
      const std::vector<const ports::AcceptRequest*>&)>;
  // Answers a request an intake record without a message id binds (its message is not known
  // to be in the queue yet: IntakeBeforeQueue); nullopt: look again, the request that made the
  // record is still at it.
  using Resume = std::function<boost::asio::awaitable<std::optional<ports::AcceptResult>>(
      ports::AcceptResult bound, const ports::AcceptRequest& request)>;

  SqlIntake(Pool& pool, Create create, Resume resume = {})
      : pool_(pool), accepts_(pool.executor(), std::move(create)), resume_(std::move(resume)) {}

  boost::asio::awaitable<ports::AcceptResult> accept(ports::AcceptRequest req) override {
    // Look first; create when nothing binds. A concurrent twin that created in between shows up
    // as a duplicate key: look again, and it replays.
    for (int conflicts = 0; conflicts < 3;) {
      std::vector<Statement> look;
      if (req.idempotency_key) {
        look.push_back(
            {sql_["release_expired_key"],
             {*req.idempotency_key, Dialect::value(req.accepted_at - req.idempotency_window_ms)}});
        look.push_back({sql_["intake_by_key"], {*req.idempotency_key}});
      }
      if (req.client_order_id) look.push_back({sql_["intake_by_id"], {req.order_id}});
      // Not a conditional expression: GCC 12 miscompiles co_await inside one.
      std::vector<sqlclient::Result> found;
      if (!look.empty()) found = co_await pool_.execute(std::move(look));
      // The key's record follows the statement that expires it; the id's record comes last.
      const auto by_key = req.idempotency_key ? intake_record(found.at(1)) : std::nullopt;
      const auto by_id = req.client_order_id ? intake_record(found.back()) : std::nullopt;
      if (auto bound = ports::decide_intake(req, by_key, by_id)) {
        if (bound->outcome != ports::AcceptOutcome::replayed || !bound->message_id.empty() ||
            !resume_)
          co_return *bound;
        auto resumed = co_await resume_(*bound, req);
        if (resumed) co_return *resumed;
        continue;
      }
      try {
        auto message_id = co_await accepts_.submit(req);
        co_return ports::AcceptResult{ports::AcceptOutcome::created, req.order_id,
                                      std::move(message_id), req.accepted_at};
      } catch (const typename Dialect::QueryError& e) {
        if (!Dialect::duplicate(e)) throw;
        ++conflicts;
      }
    }
    throw std::runtime_error("order intake kept conflicting with concurrent requests");
  }

  boost::asio::awaitable<std::optional<ports::KeyBinding>> find_key_binding(
      std::string key, std::int64_t since) override {
    typename Pool::Params params{key, Dialect::value(since)};
    const auto r = co_await pool_.query(sql_["key_binding"], std::move(params));
    if (r.rows.empty()) co_return std::nullopt;
    const auto row = r.row(0);
    co_return ports::KeyBinding{
        {ports::AcceptOutcome::replayed, row.text("order_id"), row.text("message_id"),
         row.integer("created_at")},
        domain::order_request_from_message(boost::json::parse(row.text("request")).as_object())};
  }

 private:
  using Statement = typename Dialect::Statement;

  static std::optional<ports::IntakeRecord> intake_record(const sqlclient::Result& r) {
    if (r.rows.empty()) return std::nullopt;
    const auto row = r.row(0);
    return ports::IntakeRecord{row.text("order_id"), row.text("request_hash"),
                               row.text("message_id"), row.integer("created_at")};
  }

  Pool& pool_;
  const SqlFiles& sql_ = Dialect::sql();
  sqlclient::GroupCommit<ports::AcceptRequest, std::string, typename Dialect::QueryError> accepts_;
  Resume resume_;
};

// The statements of intake records whose messages a queue in another system takes.
template <class Statement>
class PendingIntakeStatements {
 public:
  virtual ~PendingIntakeStatements() = default;
  // Inserts the group's intake records with the message id '' (not yet in the queue).
  virtual Statement reserve(const std::vector<const ports::AcceptRequest*>& group) const = 0;
  // Sets the message ids of those records still at ''.
  virtual Statement confirm(const std::vector<std::string>& order_ids,
                            const std::vector<std::string>& message_ids) const = 0;
  // Deletes those records still at '': their messages did not reach the queue.
  virtual Statement withdraw(const std::vector<std::string>& order_ids) const = 0;
};

// The intake when the queue is in another system (SQS) and the intake records in this database:
// a group's records are stored first (their Idempotency-Keys and order ids are taken, and the
// queued snapshots readable), then the queue takes the messages, then the records get their
// message ids; only then is a 202 sent. If the queue does not take them, the records are
// withdrawn and the clients get 503. A record left without a message id (the process died
// between the steps, or the withdrawal failed too) is completed by the next request it binds:
// that one sends the message again under the same deduplication id, which the queue drops
// within its window (SQS: 5 minutes), and the worker applies a create once anyway.
template <class Pool>
class IntakeBeforeQueue {
 public:
  using Statement = typename Pool::Statement;
  // Longer than a send can take with its retries (SQS: three attempts of at most 10 s): a
  // record without a message id this old has no live owner.
  static constexpr std::int64_t kOwnerGoneAfterMs = 60'000;

  IntakeBeforeQueue(Pool& pool, queue::Queue& queue,
                    std::shared_ptr<const PendingIntakeStatements<Statement>> statements)
      : pool_(pool), queue_(queue), statements_(std::move(statements)) {}

  boost::asio::awaitable<std::vector<std::string>> create(
      const std::vector<const ports::AcceptRequest*>& group) {
    std::vector<Statement> reserve;
    reserve.push_back(statements_->reserve(group));
    co_await pool_.execute(std::move(reserve));
    std::vector<std::string> order_ids;
    std::vector<queue::OutgoingMessage> messages;
    for (const auto* req : group) {
      order_ids.push_back(req->order_id);
      messages.push_back(req->message);
    }
    std::vector<queue::SendResult> sent;
    std::exception_ptr not_sent;
    try {
      sent = co_await queue_.send(std::move(messages));
    } catch (...) {
      not_sent = std::current_exception();
    }
    if (not_sent) {
      std::vector<Statement> withdraw;
      withdraw.push_back(statements_->withdraw(order_ids));
      co_await pool_.execute(std::move(withdraw));
      std::rethrow_exception(not_sent);
    }
    std::vector<std::string> message_ids;
    for (const auto& r : sent) message_ids.push_back(r.message_id);
    co_await confirm(order_ids, message_ids);
    co_return message_ids;
  }

  boost::asio::awaitable<std::optional<ports::AcceptResult>> resume(
      ports::AcceptResult bound, const ports::AcceptRequest& req) {
    if (bound.created_at > now_ms() - kOwnerGoneAfterMs) {
      // A concurrent twin's, still being queued: its outcome decides this one's.
      boost::asio::steady_timer pause(pool_.executor());
      pause.expires_after(std::chrono::milliseconds(20));
      co_await pause.async_wait(boost::asio::use_awaitable);
      co_return std::nullopt;
    }
    // The same message as the first request's: its order id, time and deduplication id (the
    // Idempotency-Key, or the client's order id, as this replaying request's).
    auto create = std::get<domain::CreateOrder>(domain::decode_message(req.message.body));
    create.order_id = bound.order_id;
    create.accepted_at = bound.created_at;
    std::vector<queue::OutgoingMessage> message{
        {bound.order_id, req.message.dedup_id, domain::encode_message(create)}};
    const auto sent = co_await queue_.send(std::move(message));
    bound.message_id = sent.at(0).message_id;
    const std::vector<std::string> order_ids{bound.order_id}, message_ids{bound.message_id};
    co_await confirm(order_ids, message_ids);
    co_return bound;
  }

 private:
  // The queue has the messages: a failure to note their ids loses nothing (a later replay
  // sends again, and the duplicate is dropped), so the clients still get their 202s.
  boost::asio::awaitable<void> confirm(const std::vector<std::string>& order_ids,
                                       const std::vector<std::string>& message_ids) {
    std::vector<Statement> confirm;
    confirm.push_back(statements_->confirm(order_ids, message_ids));
    try {
      co_await pool_.execute(std::move(confirm));
    } catch (const std::exception& e) {
      log::warn("queued orders' message ids not stored", {{"error", e.what()}});
    }
  }

  Pool& pool_;
  queue::Queue& queue_;
  std::shared_ptr<const PendingIntakeStatements<Statement>> statements_;
};

// SqlIntake over IntakeBeforeQueue.
template <class Pool, class Dialect>
std::unique_ptr<ports::Intake> make_intake_before_queue(
    Pool& pool, queue::Queue& queue,
    std::shared_ptr<const PendingIntakeStatements<typename Pool::Statement>> statements) {
  auto steps = std::make_shared<IntakeBeforeQueue<Pool>>(pool, queue, std::move(statements));
  return std::make_unique<SqlIntake<Pool, Dialect>>(
      pool, [steps](const auto& group) { return steps->create(group); },
      [steps](ports::AcceptResult bound, const ports::AcceptRequest& req) {
        return steps->resume(std::move(bound), req);
      });
}

}  // namespace orderflow::backends
