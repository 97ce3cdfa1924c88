#include "app/wiring.hpp"

#include <filesystem>
#include <optional>

#include "backends/memory/memory_cache.hpp"
#include "backends/mysql/mysql_carts.hpp"
#include "backends/mysql/mysql_schema.hpp"
#include "backends/mysql/mysql_store.hpp"
#include "backends/postgres/pg_batch_applier.hpp"
#include "backends/postgres/pg_carts.hpp"
#include "backends/postgres/pg_catalog.hpp"
#include "backends/postgres/pg_orders.hpp"
#include "backends/postgres/pg_schema.hpp"
#include "backends/redis/redis_cache.hpp"
#include "backends/redis/redis_carts.hpp"
#include "backends/redis/redis_intake.hpp"
#include "backends/sqlite/sqlite_carts.hpp"
#include "backends/sqlite/sqlite_catalog.hpp"
#include "backends/sqlite/sqlite_orders.hpp"
#include "backends/sqlite/sqlite_schema.hpp"
#include "backends/sqs/sqs_batch_applier.hpp"
#include "drivers/mysql/conninfo.hpp"
#include "drivers/pg/conninfo.hpp"

namespace orderflow::app {

namespace asio = boost::asio;
using namespace orderflow::backends;

namespace {

std::string sqlite_path(const Config& c) {
  return c.sqlite_path.empty() ? (std::filesystem::path(c.data_dir) / "orderflow.db").string()
                               : c.sqlite_path;
}

// QUEUE_BACKEND=redis in front of a database: the queue and the orders' intake in Redis, queued
// snapshots read there, batches applied through the database's inbox.
struct RedisQueueFront {
  RedisQueueFront(const Config& c, asio::io_context& io, redis::Client& redis,
                  ports::OrderReads& orders, std::unique_ptr<ports::BatchApplier> database_inbox)
      : queue(io.get_executor(), redis, c.queue_redis_options(), c.queue, c.redis_key_prefix),
        inbox(std::move(database_inbox)),
        intake(queue, orders),
        queued_orders(queue, orders),
        applier(queue, *inbox, c.idempotency_ttl) {}
  void serve(Ports& p) {
    p.intake = &intake;
    p.order_reads = &queued_orders;
    p.batch_applier = &applier;
    p.queue = &queue;
  }

  backends::RedisQueue queue;
  std::unique_ptr<ports::BatchApplier> inbox;
  RedisIntake intake;
  RedisQueuedOrders queued_orders;
  RedisBatchApplier applier;
};

// QUEUE_BACKEND=sqs in front of a database: the queue on SQS, the intake records in the
// database (stored before SQS takes the messages), batches applied through its inbox.
struct SqsQueueFront {
  using MakeIntake = std::function<std::unique_ptr<ports::Intake>(queue::Queue&)>;
  SqsQueueFront(const Config& c, asio::io_context& io, MakeIntake make_intake,
                std::unique_ptr<ports::BatchApplier> database_inbox)
      : client(io.get_executor(), c.sqs->client),
        queue(client, c.sqs->queue_url, c.queue),
        inbox(std::move(database_inbox)),
        intake(make_intake(queue)),
        applier(queue, *inbox) {
    // The queue's dead-letter queue and deliveries, from SQS before serving: a queue orderflow
    // cannot use stops the start with what is wrong.
    run_on(io, queue.ready());
  }
  void serve(Ports& p) {
    p.intake = intake.get();
    p.batch_applier = &applier;
    p.queue = &queue;
  }

  aws::SqsClient client;
  SqsQueue queue;
  std::unique_ptr<ports::BatchApplier> inbox;
  std::unique_ptr<ports::Intake> intake;
  SqsBatchApplier applier;
};

// The embedded default: one SQLite file.
class SqliteBackends final : public Backends {
 public:
  explicit SqliteBackends(const Config& c)
      : db_(open(c)),
        queue_(db_, c.queue),
        orders_(db_, queue_),
        catalog_(make_sqlite_catalog(db_)),
        carts_(make_sqlite_carts(db_, c.cart_ttl)) {
    ports_ = {&orders_, &orders_, &orders_, catalog_.get(), carts_.get(), &orders_, &queue_};
  }
  std::string describe() const override { return "sqlite:" + db_.path(); }

 private:
  static sqlite::Database::Options open(const Config& c) {
    const auto path = sqlite_path(c);
    const auto dir = std::filesystem::path(path).parent_path();
    if (!dir.empty()) std::filesystem::create_directories(dir);
    return {path, c.sqlite_readers, 1024, c.sqlite_busy_timeout, backends::migrate_sqlite};
  }

  sqlite::Database db_;
  backends::SqliteQueue queue_;
  SqliteOrders orders_;
  std::unique_ptr<ports::Catalog> catalog_;
  std::unique_ptr<ports::Carts> carts_;
};

// What differs between the server databases: their driver, their SQL and their describing.
struct PostgresStack {
  using Pool = pg::Pool;
  using ReadRouter = pg::ReadRouter;
  using Database = PgDatabase;
  using Orders = PgOrders;
  using Queue = PgQueue;
  static constexpr auto migrate = migrate_postgres;
  static constexpr auto make_catalog = make_pg_catalog;
  static constexpr auto make_carts = make_pg_carts;
  static constexpr auto make_intake = make_pg_intake;
  static constexpr auto make_intake_before_queue = make_pg_intake_before_queue;
  static constexpr auto make_batch_applier = make_pg_batch_applier;
  static constexpr auto make_inbox_applier = make_pg_inbox_applier;
  static std::string describe(const std::string& url) {
    return "postgresql://" + pg::without_credentials(url);
  }
};

struct MysqlStack {
  using Pool = mysql::Pool;
  using ReadRouter = mysql::ReadRouter;
  using Database = MysqlDatabase;
  using Orders = MysqlOrders;
  using Queue = MysqlQueue;
  static constexpr auto migrate = migrate_mysql;
  static constexpr auto make_catalog = make_mysql_catalog;
  static constexpr auto make_carts = make_mysql_carts;
  static constexpr auto make_intake = make_mysql_intake;
  static constexpr auto make_intake_before_queue = make_mysql_intake_before_queue;
  static constexpr auto make_batch_applier = make_mysql_batch_applier;
  static constexpr auto make_inbox_applier = make_mysql_inbox_applier;
  static std::string describe(const std::string& url) {
    return "mysql://" + mysql::describe(mysql::parse_url(url));
  }
};

// PostgreSQL (DATABASE_URL=postgresql://…) or MySQL/MariaDB (mysql://…), with read replicas
// (DATABASE_REPLICA_URLS): migrated at start, safe when several processes start at once. With
// QUEUE_BACKEND=redis, the queue and the orders' intake are in Redis; with QUEUE_BACKEND=sqs, the
// queue is on SQS; either way batches are applied through the database's inbox.
template <class Stack>
class ServerBackends final : public Backends {
 public:
  ServerBackends(const Config& c, asio::io_context& io, redis::Client* queue_redis)
      : pool_(io.get_executor(), sqlclient::PoolOptions{*c.database_url, c.db_pool_size}),
        reads_(pool_, c.database_replica_urls, replica_options(c)),
        database_(pool_, &reads_),
        orders_(database_),
        catalog_(Stack::make_catalog(database_)),
        carts_(Stack::make_carts(pool_, c.cart_ttl)) {
    run_on(io, Stack::migrate(pool_));
    // Replicas serve this process nothing older than what the primary held when it started (a
    // catalog loaded by `orderflow demo-data` just before is listed at once, not after replay).
    run_on(io, reads_.note_write());
    ports_ = {nullptr, &orders_, nullptr, catalog_.get(), carts_.get(), &orders_, nullptr};
    if (c.redis_queue) {
      redis_front_
          .emplace(c, io, *queue_redis, orders_, Stack::make_inbox_applier(database_, false))
          .serve(ports_);
    } else if (c.sqs) {
      auto make_intake = [this](queue::Queue& q) {
        return Stack::make_intake_before_queue(pool_, q);
      };
      sqs_front_.emplace(c, io, make_intake, Stack::make_inbox_applier(database_, true))
          .serve(ports_);
    } else {
      auto& queue = queue_.emplace(pool_, c.queue);
      intake_ = Stack::make_intake(pool_, queue);
      applier_ = Stack::make_batch_applier(database_, queue);
      ports_.intake = intake_.get();
      ports_.batch_applier = applier_.get();
      ports_.queue = &queue;
    }
  }
  sqlclient::ReplicaSet* replicas() override { return &reads_; }
  std::vector<obs::PoolGauge> pools() const override {
    const auto s = pool_.stats();
    return {{"primary", s.size, s.connected, s.leased, s.in_flight}};
  }
  std::string describe() const override {
    auto out = Stack::describe(pool_.options().conninfo);
    for (const auto& r : reads_.status()) out += ", replica " + r.name;
    return out;
  }

 private:
  static sqlclient::PoolOptions replica_options(const Config& c) {
    sqlclient::PoolOptions o;
    o.size = c.db_pool_size;
    // A replica that does not answer soon is skipped: the primary can serve the read.
    o.connect_timeout = std::chrono::milliseconds(1000);
    return o;
  }

  typename Stack::Pool pool_;
  typename Stack::ReadRouter reads_;
  typename Stack::Database database_;
  typename Stack::Orders orders_;
  std::unique_ptr<ports::Catalog> catalog_;
  std::unique_ptr<ports::Carts> carts_;
  // The queue in this database…
  std::optional<typename Stack::Queue> queue_;
  std::unique_ptr<ports::Intake> intake_;
  std::unique_ptr<ports::BatchApplier> applier_;
  // …or in Redis…
  std::optional<RedisQueueFront> redis_front_;
  // …or on SQS.
  std::optional<SqsQueueFront> sqs_front_;
};

}  // namespace

std::unique_ptr<Backends> open_backends(const Config& c, asio::io_context& io,
                                        redis::Client* queue_redis) {
  if (c.mysql()) return std::make_unique<ServerBackends<MysqlStack>>(c, io, queue_redis);
  if (c.database_url) return std::make_unique<ServerBackends<PostgresStack>>(c, io, queue_redis);
  return std::make_unique<SqliteBackends>(c);
}

std::unique_ptr<cache::Cache> make_cache(const Config& c, redis::Client* redis) {
  const auto backend = cache_backend_of(c);
  if (backend == "off") return std::make_unique<backends::NullCache>();
  if (backend == "redis") return backends::make_redis_cache(*redis, c.redis_key_prefix);
  return std::make_unique<backends::MemoryCache>(c.cache_max_bytes);
}

std::unique_ptr<ports::Carts> open_redis_carts(const Config& c, redis::Client* redis) {
  if (!redis) return nullptr;
  return make_redis_carts(*redis, c.redis_key_prefix, c.cart_ttl);
}

service::CacheTtls cache_ttls(const Config& c) {
  return {c.cache_ttl_product, c.cache_ttl_listing, c.cache_ttl_categories, c.cache_ttl_order};
}

std::unique_ptr<redis::Client> redis_client(const Config& c, asio::io_context& io) {
  return c.redis ? std::make_unique<redis::Client>(io.get_executor(), *c.redis) : nullptr;
}

std::unique_ptr<redis::Client> queue_redis_client(const Config& c, asio::io_context& io) {
  if (!c.redis_queue) return nullptr;
  return std::make_unique<redis::Client>(io.get_executor(), c.queue_redis_options());
}

}  // namespace orderflow::app
