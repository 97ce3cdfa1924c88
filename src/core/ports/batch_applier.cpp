#include "core/ports/batch_applier.hpp"

namespace orderflow::ports {

void record_outcome(BatchResult& result, const domain::BatchState& state,
                    const std::vector<domain::OrderMessage>& messages,
                    const std::vector<bool>& applied) {
  for (std::size_t i = 0; i < messages.size(); ++i) {
    if (!applied[i] || !std::holds_alternative<domain::CreateOrder>(messages[i])) continue;
    const auto& order = state.orders.at(domain::message_order_id(messages[i]));
    if (order && order->status == domain::OrderStatus::confirmed && order->session_id)
      result.confirmed_sessions.push_back(*order->session_id);
  }
  result.changed_orders.assign(state.changed_orders.begin(), state.changed_orders.end());
  result.changed_products.assign(state.changed_products.begin(), state.changed_products.end());
  for (const auto& e : state.events) ++result.events_by_type[e.type];
}

Settlement settlement_of(const std::vector<queue::Message>& batch, const BatchResult& result) {
  std::map<std::string, const queue::Message*> by_id;
  for (const auto& m : batch) by_id[m.message_id] = &m;
  Settlement out;
  for (const auto* ids : {&result.applied, &result.already_applied})
    for (const auto& id : *ids) out.done.push_back(*by_id.at(id));
  for (const auto& [id, error] : result.failed) out.failed.emplace_back(*by_id.at(id), error);
  return out;
}

}  // namespace orderflow::ports
