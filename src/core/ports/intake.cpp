#include "core/ports/intake.hpp"

namespace orderflow::ports {

namespace {
AcceptResult bound_to(const IntakeRecord& r, AcceptOutcome outcome) {
  return {outcome, r.order_id, r.message_id, r.created_at};
}
}  // namespace

std::optional<AcceptResult> decide_intake(const AcceptRequest& request,
                                          const std::optional<IntakeRecord>& by_key,
                                          const std::optional<IntakeRecord>& by_order_id,
                                          bool order_id_known) {
  if (request.idempotency_key && by_key)
    return bound_to(*by_key, by_key->request_hash == request.request_hash
                                 ? AcceptOutcome::replayed
                                 : AcceptOutcome::idempotency_conflict);
  if (!request.client_order_id) return std::nullopt;
  if (by_order_id) {
    const bool repeat =
        !request.idempotency_key && by_order_id->request_hash == request.request_hash &&
        by_order_id->created_at > request.accepted_at - request.idempotency_window_ms;
    return bound_to(*by_order_id,
                    repeat ? AcceptOutcome::replayed : AcceptOutcome::order_id_conflict);
  }
  if (order_id_known)
    return AcceptResult{AcceptOutcome::order_id_conflict, request.order_id, "", 0};
  return std::nullopt;
}

}  // namespace orderflow::ports
