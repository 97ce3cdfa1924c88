#include <boost/json/serialize.hpp>

#include <cmath>

#include "api/common.hpp"
#include "api/routes.hpp"
#include "api/views.hpp"
#include "base/ids.hpp"
#include "base/json.hpp"
#include "base/time.hpp"

namespace orderflow::api {

namespace asio = boost::asio;
namespace json = boost::json;

namespace {

double uptime_s(const OperationsArea& ctx) {
  return static_cast<double>(now_ms() - ctx.started_at_ms) / 1000.0;
}

json::object check_json(const obs::DependencyCheck& c) {
  json::object o{{"status", c.status}};
  if (c.status != "disabled") o["latency_ms"] = std::round(c.latency_ms * 1000) / 1000;
  if (!c.error.empty()) o["error"] = c.error;
  return o;
}

asio::awaitable<Response> liveness(OperationsArea& ctx, Request&) {
  const auto r = ctx.health.last();
  co_return json_response(200,
                          json::object{{"status", r.degraded() ? "degraded" : "healthy"},
                                       {"timestamp", format_rfc3339(now_ms())},
                                       {"uptime_s", uptime_s(ctx)},
                                       {"services", json::object{{"database", r.database.status},
                                                                 {"queue", r.queue.status},
                                                                 {"cache", r.cache.status}}}});
}

asio::awaitable<Response> readiness(OperationsArea& ctx, Request&) {
  const bool ready = ctx.ready.load();
  co_return json_response(ready ? 200 : 503, json::object{{"ready", ready}});
}

asio::awaitable<Response> deep_health(OperationsArea& ctx, Request&) {
  const auto r = co_await ctx.health.check_now(std::chrono::milliseconds(2000));
  auto queue = check_json(r.queue);
  queue["depth"] = r.queue_depth;
  auto database = check_json(r.database);
  if (!r.replicas.empty()) {
    json::array replicas;
    for (const auto& replica : r.replicas) {
      auto o = check_json(replica.check);
      o["name"] = replica.name;
      replicas.push_back(std::move(o));
    }
    database["replicas"] = std::move(replicas);
  }
  auto res = json_response(r.healthy() ? 200 : 503,
                           json::object{{"status", !r.healthy()   ? "unhealthy"
                                                   : r.degraded() ? "degraded"
                                                                  : "healthy"},
                                        {"checks", json::object{{"database", std::move(database)},
                                                                {"queue", std::move(queue)},
                                                                {"cache", check_json(r.cache)}}},
                                        {"uptime_s", uptime_s(ctx)},
                                        {"version", ORDERFLOW_VERSION}});
  if (!r.healthy()) res.set("Retry-After", "5");
  co_return res;
}

asio::awaitable<Response> api_stats(OperationsArea& ctx, Request&) {
  const auto totals = co_await ctx.order_reads.order_totals();
  const auto q = co_await ctx.queue.stats();
  json::object by_status;
  for (const auto& [s, n] : totals.by_status) by_status[s] = n;
  json::object depths;
  for (const auto& [name, field] : queue::kQueueDepths) depths[name] = q.*field;
  co_return json_response(
      200, json::object{{"orders", json::object{{"total", totals.total},
                                                {"by_status", std::move(by_status)},
                                                {"revenue", domain::format_money(totals.revenue)}}},
                        {"queue", std::move(depths)},
                        {"uptime_s", uptime_s(ctx)}});
}

asio::awaitable<Response> sqs_stats(OperationsArea& ctx, Request&) {
  co_return json_response(200, queue_stats_json(co_await ctx.queue.stats()));
}

asio::awaitable<Response> sqs_purge(OperationsArea& ctx, Request& r) {
  require_admin(r, ctx.admin_token);
  const auto purged = co_await ctx.queue.purge();
  co_return json_response(200, json::object{{"purged", purged}});
}

asio::awaitable<Response> sqs_dlq(OperationsArea& ctx, Request& r) {
  const auto limit = int_param(r, "limit", 1, 1000).value_or(100);
  const auto letters = co_await ctx.queue.dead_letters(static_cast<std::size_t>(limit));
  json::array out;
  for (const auto& d : letters) out.push_back(dead_letter_json(d));
  co_return json_response(200,
                          json::object{{"messages", std::move(out)}, {"count", letters.size()}});
}

asio::awaitable<Response> sqs_redrive(OperationsArea& ctx, Request& r) {
  require_admin(r, ctx.admin_token);
  const auto body = parse_json_body(r);
  std::vector<std::string> ids;
  if (!body.is_null()) {
    const auto* list = body.is_object() ? body.get_object().if_contains("message_ids") : nullptr;
    if (!body.is_object() || (list && !list->is_array() && !list->is_null()))
      throw core::validation_failed("message_ids must be an array of message ids",
                                    {{"message_ids", "must be an array of strings"}});
    if (list && list->is_array()) {
      if (list->get_array().size() > 1000)
        throw core::validation_failed("too many message_ids",
                                      {{"message_ids", "at most 1000 at a time"}});
      for (std::size_t i = 0; i < list->get_array().size(); ++i) {
        const auto& v = list->get_array()[i];
        if (!v.is_string() || !is_valid_client_id(v.get_string()))
          throw core::validation_failed(
              "message_ids must be message ids",
              {{"message_ids[" + std::to_string(i) + "]", "must be a message id"}});
        ids.emplace_back(v.get_string());
      }
      if (ids.empty())
        throw core::validation_failed("message_ids is empty; omit it to redrive every dead letter",
                                      {{"message_ids", "must not be empty"}});
    }
  }
  const auto redriven = co_await ctx.queue.redrive(std::move(ids));
  co_return json_response(200, json::object{{"redriven", redriven}});
}

asio::awaitable<Response> handler_status(OperationsArea& ctx, Request&) {
  if (!ctx.worker)
    co_return json_response(200, json::object{{"running", false},
                                              {"workers", 0},
                                              {"started_at", nullptr},
                                              {"last_poll_at", nullptr}});
  co_return json_response(200, ctx.worker->status());
}

asio::awaitable<Response> handler_stats(OperationsArea& ctx, Request&) {
  auto stats = ctx.handler_stats.to_json();
  const auto q = co_await ctx.queue.stats();
  stats["retried"] = q.retried;
  stats["dead_lettered"] = q.dead_lettered;
  stats["queue"] = queue_stats_json(q);
  co_return json_response(200, stats);
}

asio::awaitable<Response> cache_stats(OperationsArea& ctx, Request&) {
  const auto s = co_await ctx.cache.stats();
  const auto lookups = s.hits + s.misses;
  co_return json_response(
      200, json::object{{"backend", s.backend},
                        {"hits", s.hits},
                        {"misses", s.misses},
                        {"hit_rate",
                         lookups ? std::round(1e4 * double(s.hits) / double(lookups)) / 1e4 : 0.0},
                        {"keys", s.keys},
                        {"evictions", s.evictions},
                        {"memory_bytes", s.memory_bytes}});
}

asio::awaitable<Response> cache_keys(OperationsArea& ctx, Request& r) {
  const auto limit = int_param(r, "limit", 1, 1000).value_or(100);
  const auto prefix = r.query_param("prefix").value_or("");
  const auto list = co_await ctx.cache.keys(std::string(prefix), static_cast<std::size_t>(limit));
  json::array keys;
  for (const auto& k : list.keys) keys.emplace_back(k);
  co_return json_response(200,
                          json::object{{"keys", std::move(keys)}, {"truncated", list.truncated}});
}

asio::awaitable<Response> cache_clear(OperationsArea& ctx, Request& r) {
  require_admin(r, ctx.admin_token);
  const auto cleared = co_await ctx.cache.clear();
  co_return json_response(200, json::object{{"cleared", cleared}});
}

}  // namespace

std::vector<Route> operations_routes() {
  return area_routes(&ApiContext::operations, {
                                                  {"GET", "/health", liveness},
                                                  {"GET", "/ready", readiness},
                                                  {"GET", "/api/health", deep_health},
                                                  {"GET", "/api/stats", api_stats},
                                                  {"GET", "/sqs/stats", sqs_stats},
                                                  {"DELETE", "/sqs/purge", sqs_purge},
                                                  {"GET", "/sqs/dlq", sqs_dlq},
                                                  {"POST", "/sqs/dlq/redrive", sqs_redrive},
                                                  {"GET", "/handler/status", handler_status},
                                                  {"GET", "/handler/stats", handler_stats},
                                                  {"GET", "/cache/stats", cache_stats},
                                                  {"GET", "/cache/keys", cache_keys},
                                                  {"DELETE", "/cache/clear", cache_clear},
                                              });
}

}  // namespace orderflow::api
