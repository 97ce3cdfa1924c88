#pragma once
#include "backends/sqs/sqs_queue.hpp"
#include "core/ports/batch_applier.hpp"

namespace orderflow::backends {

// Applies batches from SQS with the database's inbox applier (a message SQS delivers again
// after a lost deletion is applied once), then deletes them from SQS (DeleteMessageBatch) and
// reports the failed ones (retry, or the DLQ).
class SqsBatchApplier final : public ports::BatchApplier {
 public:
  SqsBatchApplier(SqsQueue& queue, ports::BatchApplier& inbox) : queue_(queue), inbox_(inbox) {}

  boost::asio::awaitable<ports::BatchResult> apply_batch(
      std::vector<queue::Message> batch, const domain::ProcessingRules& rules) override;

 private:
  SqsQueue& queue_;
  ports::BatchApplier& inbox_;
};

}  // namespace orderflow::backends
