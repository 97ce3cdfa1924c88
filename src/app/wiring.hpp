#pragma once
// The only place that names concrete backends: which implementation serves each port, as the
// configuration says.
#include <boost/asio/awaitable.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_future.hpp>

#include <future>
#include <memory>
#include <string>
#include <vector>

#include "app/config.hpp"
#include "base/metrics.hpp"
#include "core/ports/batch_applier.hpp"
#include "core/ports/cache.hpp"
#include "core/ports/carts.hpp"
#include "core/ports/catalog.hpp"
#include "core/ports/health_probe.hpp"
#include "core/ports/intake.hpp"
#include "core/ports/order_reads.hpp"
#include "core/ports/queue.hpp"
#include "drivers/redis/client.hpp"
#include "drivers/sqlclient/read_router.hpp"
#include "service/catalog_service.hpp"

namespace orderflow::app {

// Runs one coroutine to completion on `io` from this thread (start-up work, CLI subcommands).
template <typename T>
T run_on(boost::asio::io_context& io, boost::asio::awaitable<T> op) {
  auto f = boost::asio::co_spawn(io, std::move(op), boost::asio::use_future);
  io.restart();
  while (f.wait_for(std::chrono::seconds(0)) != std::future_status::ready) io.run_one();
  return f.get();
}

// The ports the services use, each served by the backend the configuration picks.
struct Ports {
  ports::Intake* intake = nullptr;
  ports::OrderReads* order_reads = nullptr;
  ports::BatchApplier* batch_applier = nullptr;
  ports::Catalog* catalog = nullptr;
  ports::Carts* carts = nullptr;  // the database's (Redis carts are wired by serve)
  ports::HealthProbe* database = nullptr;
  queue::Queue* queue = nullptr;
};

// The database and the queue: SQLite (the embedded default), or PostgreSQL or MySQL with the
// queue in the same database or in Redis (QUEUE_BACKEND=redis).
class Backends {
 public:
  virtual ~Backends() = default;
  const Ports& ports() const { return ports_; }
  virtual std::string describe() const = 0;  // for the start-up log, without secrets
  // The read replicas (DATABASE_REPLICA_URLS), for health checks; null for the embedded file.
  virtual sqlclient::ReplicaSet* replicas() { return nullptr; }
  // The database's connection pools, for /metrics (none for the embedded file).
  virtual std::vector<obs::PoolGauge> pools() const { return {}; }

 protected:
  Ports ports_;
};

// Opens (and migrates) the configured database; `queue_redis` is the queue's Redis connection
// with QUEUE_BACKEND=redis, else null.
std::unique_ptr<Backends> open_backends(const Config& c, boost::asio::io_context& io,
                                        redis::Client* queue_redis);
// The cache CACHE_BACKEND names: in-process, Redis (`redis`), or none.
std::unique_ptr<cache::Cache> make_cache(const Config& c, redis::Client* redis);
// Carts in Redis when Redis is configured, else null (the database's carts serve).
std::unique_ptr<ports::Carts> open_redis_carts(const Config& c, redis::Client* redis);
service::CacheTtls cache_ttls(const Config& c);
// The Redis of REDIS_URL, or null.
std::unique_ptr<redis::Client> redis_client(const Config& c, boost::asio::io_context& io);
// A connection of its own for the queue (QUEUE_BACKEND=redis), to QUEUE_REDIS_URL or else the
// cache's Redis; null without the Redis queue.
std::unique_ptr<redis::Client> queue_redis_client(const Config& c, boost::asio::io_context& io);

}  // namespace orderflow::app
