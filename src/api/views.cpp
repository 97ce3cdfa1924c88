#include "api/views.hpp"

#include "base/json.hpp"
#include "base/time.hpp"

namespace orderflow::api {

namespace json = boost::json;

json::object queue_stats_json(const queue::QueueStats& s) {
  json::object out{{"backend", s.backend}};
  for (const auto& [name, field] : queue::kQueueDepths) out[name] = s.*field;
  for (const auto& [name, field] : queue::kQueueCounters) out[name] = s.*field;
  out["oldest_age_ms"] = s.oldest_age_ms ? json::value(*s.oldest_age_ms) : json::value(nullptr);
  return out;
}

json::object dead_letter_json(const queue::DeadLetter& d) {
  // Bodies are JSON for order messages; anything else is shown as the string it is.
  auto body = try_parse_json(d.body);
  return {{"message_id", d.message_id},
          {"group_id", d.group_id},
          {"body", body ? *body : json::value(d.body)},
          {"receive_count", d.receive_count},
          {"last_error", d.last_error ? json::value(*d.last_error) : json::value(nullptr)},
          {"sent_at", format_rfc3339(d.sent_at)},
          {"dead_lettered_at", d.dead_lettered_at ? json::value(format_rfc3339(*d.dead_lettered_at))
                                                  : json::value(nullptr)}};
}

}  // namespace orderflow::api
