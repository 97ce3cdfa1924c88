#pragma once
#include <memory>

#include "backends/postgres/pg_database.hpp"
#include "backends/postgres/pg_queue.hpp"
#include "core/ports/batch_applier.hpp"

namespace orderflow::backends {

// How a batch claims its messages and settles them, by where the queue is (pg_batch_applier.cpp
// has the two: the queue's own table, or the inbox table when the queue is in another system).
class MessageClaim;

// Applies a batch in one PostgreSQL transaction: locks the orders and products it touches
// (in id order, so that concurrent batches cannot deadlock), runs domain::apply_all, writes
// what changed and settles the messages. With the queue in the same database the messages
// are deleted in that transaction (exactly-once effects); with the queue elsewhere their ids
// are recorded in the inbox table, and a message found there is reported as already_applied.
class PgBatchApplier final : public ports::BatchApplier {
 public:
  PgBatchApplier(PgDatabase& db, backends::PgQueue& queue);  // same-transaction delete
  explicit PgBatchApplier(PgDatabase& db);                   // inbox
  ~PgBatchApplier() override;

  boost::asio::awaitable<ports::BatchResult> apply_batch(
      std::vector<queue::Message> batch, const domain::ProcessingRules& rules) override;

 private:
  boost::asio::awaitable<ports::BatchResult> apply_in(pg::Pool::Lease& tx,
                                                      const std::vector<queue::Message>& batch,
                                                      const domain::ProcessingRules& rules);

  PgDatabase& db_;
  std::unique_ptr<MessageClaim> claim_;
};

}  // namespace orderflow::backends
