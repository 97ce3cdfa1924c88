#include "backends/sqs/sqs_batch_applier.hpp"

#include <map>

#include "base/log.hpp"

namespace orderflow::backends {

boost::asio::awaitable<ports::BatchResult> SqsBatchApplier::apply_batch(
    std::vector<queue::Message> batch, const domain::ProcessingRules& rules) {
  auto result = co_await inbox_.apply_batch(batch, rules);
  std::map<std::string, const queue::Message*> by_id;
  for (const auto& m : batch) by_id[m.message_id] = &m;
  std::vector<queue::Message> done;
  for (const auto* ids : {&result.applied, &result.already_applied})
    for (const auto& id : *ids) done.push_back(*by_id.at(id));
  std::vector<std::pair<queue::Message, std::string>> failed;
  for (const auto& [id, error] : result.failed) failed.emplace_back(*by_id.at(id), error);
  // The batch is committed whatever happens now. Should SQS not take the deletions, the
  // messages come back after their visibility timeout and the inbox skips them.
  try {
    co_await queue_.settle(std::move(done), std::move(failed));
  } catch (const std::exception& e) {
    log::warn("applied batch not yet deleted from SQS: it is redelivered and skipped",
              {{"error", e.what()}});
  }
  co_return result;
}

}  // namespace orderflow::backends
