#include "backends/postgres/pg_orders.hpp"

#include "backends/postgres/pg_dialect.hpp"
#include "backends/postgres/pg_params.hpp"
#include "backends/postgres/pg_schema.hpp"
#include "backends/sql/sql_intake.hpp"
#include "base/time.hpp"

namespace orderflow::backends {

namespace asio = boost::asio;
using pg::Statement;

namespace {

const SqlFiles& sql = pg_sql();

// Writes a group of accepts: their messages, their intake records, one NOTIFY. Returns each
// one's message id.
asio::awaitable<std::vector<std::string>> create(
    pg::Pool& pool, PgQueue& queue, const std::vector<const ports::AcceptRequest*>& group) {
  std::vector<const queue::OutgoingMessage*> messages;
  pg::ArrayLiteral order_ids, keys, hashes, requests, times, dedup_ids;
  for (const auto* req : group) {
    messages.push_back(&req->message);
    order_ids.add(req->order_id);
    keys.add(req->idempotency_key);
    hashes.add(req->request_hash);
    requests.add(req->request_json);
    times.add(text_of(req->accepted_at));
    dedup_ids.add(queue::dedup_id_of(req->message));
  }
  std::vector<Statement> create;
  create.push_back(queue.send_statement(messages, now_ms()));
  create.push_back({sql["insert_intake"],
                    {std::move(order_ids).done(), std::move(keys).done(), std::move(hashes).done(),
                     std::move(requests).done(), std::move(times).done(), queue.name(),
                     std::move(dedup_ids).done()}});
  create.push_back({sql["notify"], {queue.channel()}});
  const auto results = co_await pool.execute(std::move(create));
  queue.notify_sent();
  std::vector<std::string> message_ids;
  for (const auto row : results.at(0).each_row())
    message_ids.push_back(row["message_id"].value_or(""));
  co_return message_ids;
}

class PgPendingIntake final : public PendingIntakeStatements<Statement> {
 public:
  Statement reserve(const std::vector<const ports::AcceptRequest*>& group) const override {
    pg::ArrayLiteral order_ids, keys, hashes, requests, times;
    for (const auto* req : group) {
      order_ids.add(req->order_id);
      keys.add(req->idempotency_key);
      hashes.add(req->request_hash);
      requests.add(req->request_json);
      times.add(text_of(req->accepted_at));
    }
    return {sql["reserve_intake"],
            {std::move(order_ids).done(), std::move(keys).done(), std::move(hashes).done(),
             std::move(requests).done(), std::move(times).done()}};
  }
  Statement confirm(const std::vector<std::string>& order_ids,
                    const std::vector<std::string>& message_ids) const override {
    return {sql["confirm_intake"], {pg::text_array(order_ids), pg::text_array(message_ids)}};
  }
  Statement withdraw(const std::vector<std::string>& order_ids) const override {
    return {sql["withdraw_intake"], {pg::text_array(order_ids)}};
  }
};

}  // namespace

std::unique_ptr<ports::Intake> make_pg_intake_before_queue(pg::Pool& pool, queue::Queue& queue) {
  return make_intake_before_queue<pg::Pool, PgDialect>(pool, queue,
                                                       std::make_shared<PgPendingIntake>());
}

std::unique_ptr<ports::Intake> make_pg_intake(pg::Pool& pool, PgQueue& queue) {
  return std::make_unique<SqlIntake<pg::Pool, PgDialect>>(
      pool, [&pool, &queue](const auto& group) { return create(pool, queue, group); });
}

}  // namespace orderflow::backends
