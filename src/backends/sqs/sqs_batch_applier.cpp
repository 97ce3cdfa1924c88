#include "backends/sqs/sqs_batch_applier.hpp"

#include "base/log.hpp"

namespace orderflow::backends {

boost::asio::awaitable<ports::BatchResult> SqsBatchApplier::apply_batch(
    std::vector<queue::Message> batch, const domain::ProcessingRules& rules) {
  auto result = co_await inbox_.apply_batch(batch, rules);
  auto settlement = ports::settlement_of(batch, result);
  // The batch is committed whatever happens now. Should SQS not take the deletions, the
  // messages come back after their visibility timeout and the inbox skips them.
  try {
    co_await queue_.settle(std::move(settlement.done), std::move(settlement.failed));
  } catch (const std::exception& e) {
    log::warn("applied batch not yet deleted from SQS: it is redelivered and skipped",
              {{"error", e.what()}});
  }
  co_return result;
}

}  // namespace orderflow::backends
