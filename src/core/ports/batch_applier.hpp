#pragma once
#include <boost/asio/awaitable.hpp>

#include <cstdint>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "core/domain/processing.hpp"
#include "core/ports/queue.hpp"

namespace orderflow::ports {

struct BatchResult {
  std::vector<std::string> applied;                         // applied and deleted
  std::vector<std::pair<std::string, std::string>> failed;  // message id, error: retried or DLQ
  std::vector<std::string> stale;  // receipt expired: another delivery owns the message
  // Found in the inbox: applied by an earlier delivery, so not again (a queue in another
  // system redelivers a message whose deletion was lost). Delete them like applied ones.
  std::vector<std::string> already_applied;
  std::map<std::string, std::int64_t> events_by_type;
  // What the batch changed, for cache invalidation and cart clean-up after the commit.
  std::vector<std::string> changed_orders, changed_products;
  std::vector<std::string> confirmed_sessions;  // checkouts confirmed: their carts are done
};

// Fills what a committed batch reports beyond applied/failed/stale: the orders and products
// it changed (for cache invalidation), confirmed checkouts (whose carts are done), and its
// events by type. `applied[i]` tells whether messages[i] was applied.
void record_outcome(BatchResult& result, const domain::BatchState& state,
                    const std::vector<domain::OrderMessage>& messages,
                    const std::vector<bool>& applied);

// What a queue in another system is told after an inbox applier's commit: the messages to
// delete (applied now or before) and those that failed, with their errors.
struct Settlement {
  std::vector<queue::Message> done;
  std::vector<std::pair<queue::Message, std::string>> failed;
};
Settlement settlement_of(const std::vector<queue::Message>& batch, const BatchResult& result);

// Applies a batch of delivered order messages exactly once: in one transaction that also
// deletes them (queue in the same database), or records them in an inbox (queue elsewhere).
// Messages that fail are retried or dead-lettered.
class BatchApplier {
 public:
  virtual ~BatchApplier() = default;
  virtual boost::asio::awaitable<BatchResult> apply_batch(std::vector<queue::Message> batch,
                                                          const domain::ProcessingRules& rules) = 0;
};

}  // namespace orderflow::ports
