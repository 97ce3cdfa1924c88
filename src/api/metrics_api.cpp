// GET /metrics: what this process knows about itself and its dependencies, for Prometheus
// (text format 0.0.4) or as JSON (Accept: application/json).
#include <malloc.h>
#include <sys/resource.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "api/common.hpp"
#include "api/routes.hpp"
#include "api/views.hpp"
#include "base/log.hpp"
#include "base/time.hpp"

namespace orderflow::api {

namespace asio = boost::asio;
namespace json = boost::json;

namespace {

#ifdef __SANITIZE_ADDRESS__
// AddressSanitizer's allocator replaces malloc: glibc's arenas stay empty, and mallinfo2() on
// them, uninitialised, is not safe from two threads at once (a crash under concurrent scrapes).
extern "C" std::size_t __sanitizer_get_current_allocated_bytes();
double heap_in_use() {
  return static_cast<double>(__sanitizer_get_current_allocated_bytes());
}
#else
// jemalloc's control interface, present when the binary links jemalloc (ORDERFLOW_JEMALLOC):
// then glibc's arenas stay empty as under the sanitizer, and jemalloc keeps the count.
extern "C" int mallctl(const char* name, void* old, std::size_t* old_size, void* new_value,
                       std::size_t new_size) __attribute__((weak));
double heap_in_use() {
  if (!mallctl) return static_cast<double>(mallinfo2().uordblks);
  std::uint64_t epoch = 1;  // refreshes jemalloc's statistics
  std::size_t size = sizeof(epoch);
  mallctl("epoch", &epoch, &size, &epoch, size);
  std::size_t allocated = 0;
  size = sizeof(allocated);
  mallctl("stats.allocated", &allocated, &size, nullptr, 0);
  return static_cast<double>(allocated);
}
#endif

struct ProcessFigures {
  double rss_bytes = 0, heap_bytes = 0, cpu_seconds = 0, open_fds = 0;
};

ProcessFigures process_figures() {
  ProcessFigures p;
  std::ifstream statm("/proc/self/statm");
  double size = 0, resident = 0;
  if (statm >> size >> resident)
    p.rss_bytes = resident * static_cast<double>(sysconf(_SC_PAGESIZE));
  p.heap_bytes = heap_in_use();
  rusage u{};
  if (getrusage(RUSAGE_SELF, &u) == 0)
    p.cpu_seconds = static_cast<double>(u.ru_utime.tv_sec + u.ru_stime.tv_sec) +
                    static_cast<double>(u.ru_utime.tv_usec + u.ru_stime.tv_usec) / 1e6;
  std::error_code ec;
  for (auto it = std::filesystem::directory_iterator("/proc/self/fd", ec);
       !ec && it != std::filesystem::directory_iterator(); it.increment(ec))
    ++p.open_fds;
  return p;
}

// What the dependencies report now; a dependency that does not answer leaves its part empty
// (its families are then absent), so /metrics answers even while one is down.
struct Readings {
  std::optional<queue::QueueStats> queue;
  std::optional<cache::Stats> cache;
  std::optional<ports::OrderTotals> orders;
};

template <typename T>
asio::awaitable<std::optional<T>> reading(asio::awaitable<T> op, const char* what) {
  try {
    co_return co_await std::move(op);
  } catch (const std::exception& e) {
    log::warn("metrics: a reading failed", {{"what", what}, {"error", e.what()}});
  }
  co_return std::nullopt;
}

asio::awaitable<Readings> read_dependencies(OperationsArea& ctx) {
  Readings r;
  r.queue = co_await reading(ctx.queue.stats(), "queue");
  r.cache = co_await reading(ctx.cache.stats(), "cache");
  r.orders = co_await reading(ctx.order_reads.order_totals(), "orders");
  co_return r;
}

double uptime_seconds(const OperationsArea& ctx) {
  return static_cast<double>(now_ms() - ctx.started_at_ms) / 1000.0;
}

std::string prometheus_text(OperationsArea& ctx, const Readings& r) {
  obs::PrometheusText t;
  // Prometheus samples are doubles; counts and times are exact below 2^53.
  const auto as_sample = [](auto v) { return static_cast<double>(v); };

  t.family("orderflow_build_info", "gauge", "The running version.");
  t.sample("orderflow_build_info", {{"version", ORDERFLOW_VERSION}}, 1);
  t.family("orderflow_uptime_seconds", "gauge", "Seconds since this process started.");
  t.sample("orderflow_uptime_seconds", {}, uptime_seconds(ctx));

  const auto http = ctx.http_metrics.snapshot();
  t.family("orderflow_http_requests_total", "counter",
           "HTTP requests by method, route template and status class.");
  for (const auto& s : http)
    t.sample("orderflow_http_requests_total",
             {{"method", s.method}, {"route", s.route}, {"status_class", s.status_class}},
             as_sample(s.latency.count));
  t.family("orderflow_http_request_duration_seconds", "histogram",
           "HTTP request latency by method, route template and status class.");
  for (const auto& s : http)
    t.histogram("orderflow_http_request_duration_seconds",
                {{"method", s.method}, {"route", s.route}, {"status_class", s.status_class}},
                s.latency);

  if (r.queue) {
    const auto& q = *r.queue;
    t.family("orderflow_queue_messages", "gauge",
             "Messages in the queue by state (dead_letter: in the dead-letter queue).");
    for (const auto& [state, field] : queue::kQueueDepths)
      t.sample("orderflow_queue_messages", {{"state", std::string(state)}}, as_sample(q.*field));
    t.family("orderflow_queue_operations_total", "counter",
             "Queue operations since the queue was created (shared by every process using it).");
    for (const auto& [operation, field] : queue::kQueueCounters)
      t.sample("orderflow_queue_operations_total", {{"operation", std::string(operation)}},
               as_sample(q.*field));
    t.family("orderflow_queue_oldest_message_age_seconds", "gauge",
             "Age of the oldest message in the main queue (0 when empty; no sample when the "
             "queue does not know it: SQS).");
    if (q.oldest_age_ms || q.visible == 0)
      t.sample("orderflow_queue_oldest_message_age_seconds", {},
               as_sample(q.oldest_age_ms.value_or(0)) / 1000.0);
  }

  const auto w = ctx.handler_stats.totals();
  t.family("orderflow_worker_batches_total", "counter", "Batches this process's worker applied.");
  t.sample("orderflow_worker_batches_total", {}, as_sample(w.batches));
  t.family("orderflow_worker_messages_total", "counter",
           "Messages this process's worker handled, by outcome.");
  for (const auto& [outcome, n] :
       std::vector<std::pair<const char*, std::int64_t>>{{"processed", w.processed},
                                                         {"failed", w.failed},
                                                         {"stale", w.stale},
                                                         {"already_applied", w.already_applied}})
    t.sample("orderflow_worker_messages_total", {{"outcome", outcome}}, as_sample(n));
  t.family("orderflow_order_events_total", "counter", "Order events written, by type.");
  for (const auto& [type, n] : w.events)
    t.sample("orderflow_order_events_total", {{"type", type}}, as_sample(n));
  t.family("orderflow_processing_latency_seconds", "histogram",
           "From a message's send to the commit of the batch that applied it.");
  t.histogram("orderflow_processing_latency_seconds", {},
              ctx.handler_stats.processing_latency().snapshot());
  t.family("orderflow_batch_apply_duration_seconds", "histogram",
           "Duration of a worker batch's apply transaction.");
  t.histogram("orderflow_batch_apply_duration_seconds", {},
              ctx.handler_stats.batch_apply().snapshot());
  t.family("orderflow_queue_receive_duration_seconds", "histogram",
           "Duration of a worker's receive that got messages (a long-poll's wait included).");
  t.histogram("orderflow_queue_receive_duration_seconds", {},
              ctx.handler_stats.receive().snapshot());

  if (r.orders) {
    t.family("orderflow_orders", "gauge", "Processed orders by status.");
    for (const auto& [status, n] : r.orders->by_status)
      t.sample("orderflow_orders", {{"status", status}}, as_sample(n));
  }

  if (r.cache) {
    const obs::Labels backend{{"backend", r.cache->backend}};
    t.family("orderflow_cache_requests_total", "counter", "Cache lookups by this process.");
    t.sample("orderflow_cache_requests_total", {{"backend", r.cache->backend}, {"result", "hit"}},
             as_sample(r.cache->hits));
    t.sample("orderflow_cache_requests_total", {{"backend", r.cache->backend}, {"result", "miss"}},
             as_sample(r.cache->misses));
    t.family("orderflow_cache_evictions_total", "counter", "Entries evicted for space.");
    t.sample("orderflow_cache_evictions_total", backend, as_sample(r.cache->evictions));
    t.family("orderflow_cache_keys", "gauge", "Entries in the cache.");
    t.sample("orderflow_cache_keys", backend, as_sample(r.cache->keys));
    t.family("orderflow_cache_memory_bytes", "gauge", "Memory the cache uses.");
    t.sample("orderflow_cache_memory_bytes", backend, as_sample(r.cache->memory_bytes));
  }

  if (const auto pools = ctx.pools ? ctx.pools() : std::vector<obs::PoolGauge>{}; !pools.empty()) {
    t.family("orderflow_db_pool_connections", "gauge",
             "Database connections by pool and state (size: the pool's slots; leased: held by "
             "a transaction).");
    for (const auto& p : pools)
      for (const auto& [state, n] : std::vector<std::pair<const char*, std::size_t>>{
               {"size", p.size}, {"connected", p.connected}, {"leased", p.leased}})
        t.sample("orderflow_db_pool_connections", {{"pool", p.pool}, {"state", state}},
                 as_sample(n));
    t.family("orderflow_db_pool_statements_in_flight", "gauge",
             "Statements sent and not yet answered, over the pool's connections.");
    for (const auto& p : pools)
      t.sample("orderflow_db_pool_statements_in_flight", {{"pool", p.pool}},
               as_sample(p.in_flight));
  }

  const auto health = ctx.health.last();
  t.family("orderflow_dependency_up", "gauge",
           "1 when the last background check reached the dependency (every 5 s).");
  for (const auto& [name, check] : std::vector<std::pair<const char*, obs::DependencyCheck>>{
           {"database", health.database}, {"queue", health.queue}, {"cache", health.cache}})
    if (check.status != "disabled")
      t.sample("orderflow_dependency_up", {{"dependency", name}},
               check.status == "connected" ? 1 : 0);

  const auto p = process_figures();
  t.family("process_resident_memory_bytes", "gauge", "Resident memory size in bytes.");
  t.sample("process_resident_memory_bytes", {}, p.rss_bytes);
  t.family("process_heap_bytes", "gauge", "Bytes allocated on the heap (malloc).");
  t.sample("process_heap_bytes", {}, p.heap_bytes);
  t.family("process_cpu_seconds_total", "counter", "User and system CPU time spent in seconds.");
  t.sample("process_cpu_seconds_total", {}, p.cpu_seconds);
  t.family("process_open_fds", "gauge", "Open file descriptors.");
  t.sample("process_open_fds", {}, p.open_fds);
  t.family("process_start_time_seconds", "gauge", "Start time of the process, Unix seconds.");
  t.sample("process_start_time_seconds", {}, as_sample(ctx.started_at_ms) / 1000.0);
  return t.text();
}

json::object metrics_json(OperationsArea& ctx, const Readings& r) {
  const auto p = process_figures();
  const auto health = ctx.health.last();
  json::object out{{"timestamp", format_rfc3339(now_ms())},
                   {"uptime", uptime_seconds(ctx)},
                   {"memory", json::object{{"rss", p.rss_bytes}, {"heap", p.heap_bytes}}},
                   {"cpu_seconds", p.cpu_seconds},
                   {"services", json::object{{"database", health.database.status},
                                             {"queue", health.queue.status},
                                             {"cache", health.cache.status}}}};
  json::object orders;
  if (r.orders) {
    json::object by_status;
    for (const auto& [status, n] : r.orders->by_status) by_status[status] = n;
    orders = {{"total", r.orders->total}, {"by_status", std::move(by_status)}};
  }
  out["orders"] = std::move(orders);
  out["queue"] = r.queue ? json::value(queue_stats_json(*r.queue)) : json::value(nullptr);
  json::array routes;
  std::uint64_t requests = 0;
  for (const auto& s : ctx.http_metrics.snapshot()) {
    requests += s.latency.count;
    routes.push_back({{"method", s.method},
                      {"route", s.route},
                      {"status_class", s.status_class},
                      {"count", s.latency.count},
                      {"duration_seconds_sum", s.latency.sum}});
  }
  out["http"] = json::object{{"requests", requests}, {"routes", std::move(routes)}};
  if (r.cache)
    out["cache"] = json::object{{"backend", r.cache->backend},
                                {"hits", r.cache->hits},
                                {"misses", r.cache->misses},
                                {"evictions", r.cache->evictions}};
  out["handler"] = ctx.handler_stats.to_json();
  return out;
}

bool wants_json(const http::Request& r) {
  const auto accept = r.header("Accept");
  return accept && accept->find("application/json") != std::string_view::npos;
}

asio::awaitable<http::Response> metrics(OperationsArea& ctx, http::Request& request) {
  const auto readings = co_await read_dependencies(ctx);
  if (wants_json(request)) co_return json_response(200, metrics_json(ctx, readings));
  http::Response response;
  response.content_type = "text/plain; version=0.0.4; charset=utf-8";
  response.body = prometheus_text(ctx, readings);
  co_return response;
}

}  // namespace

std::vector<Route> metrics_routes() {
  return area_routes(&ApiContext::operations, {
                                                  {"GET", "/metrics", metrics},
                                              });
}

}  // namespace orderflow::api
