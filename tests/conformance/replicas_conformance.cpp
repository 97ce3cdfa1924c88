// The read-replica contract against the real replicas scripts/services starts (PostgreSQL's
// streaming replica, MariaDB's GTID replica): which reads go there, read-your-writes when the
// replica is behind, a stale answer when the primary is down, and a failed replica skipped then
// retried.
#include <gtest/gtest.h>

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <boost/json/parse.hpp>

#include "backends.hpp"
#include "backends/mysql/mysql_database.hpp"
#include "backends/mysql/mysql_store.hpp"
#include "backends/postgres/pg_catalog.hpp"
#include "backends/postgres/pg_database.hpp"
#include "backends/postgres/pg_orders.hpp"
#include "backends/redis/redis_cache.hpp"
#include "drivers/mysql/replicas.hpp"
#include "drivers/pg/replicas.hpp"
#include "service/catalog_service.hpp"
#include "tcp_relay.hpp"

namespace orderflow::testing {
namespace {

using namespace std::chrono_literals;

// PostgreSQL's streaming replica.
struct PgReplication {
  static constexpr const char* kName = "postgres";
  using Server = PostgresServer;
  using Pool = pg::Pool;
  using ReadRouter = pg::ReadRouter;
  using Database = backends::PgDatabase;
  using Orders = backends::PgOrders;
  static constexpr auto make_catalog = backends::make_pg_catalog;
  static constexpr const char* kReplicaUrls = "DATABASE_REPLICA_URLS";
  static constexpr const char* kReplicaAdminUrl = "DATABASE_REPLICA_URLS";  // a superuser's
  static constexpr const char* kUnreachable = "postgresql://postgres@127.0.0.1:1/none";
  static constexpr const char* kOnReplica = "SELECT pg_is_in_recovery()::int";  // 1 there
  static constexpr const char* kPauseReplay = "SELECT pg_wal_replay_pause()";
  static constexpr const char* kResumeReplay = "SELECT pg_wal_replay_resume()";
};

// MariaDB's GTID replica.
struct MysqlReplication {
  static constexpr const char* kName = "mysql";
  using Server = MysqlServer;
  using Pool = mysql::Pool;
  using ReadRouter = mysql::ReadRouter;
  using Database = backends::MysqlDatabase;
  using Orders = backends::MysqlOrders;
  static constexpr auto make_catalog = backends::make_mysql_catalog;
  static constexpr const char* kReplicaUrls = "MYSQL_REPLICA_URLS";
  static constexpr const char* kReplicaAdminUrl = "MYSQL_REPLICA_ADMIN_URL";
  static constexpr const char* kUnreachable = "mysql://orderflow@127.0.0.1:1/none";
  static constexpr const char* kOnReplica = "SELECT @@read_only";  // 1 there
  static constexpr const char* kPauseReplay = "STOP SLAVE SQL_THREAD";
  static constexpr const char* kResumeReplay = "START SLAVE SQL_THREAD";
};

// `url` with its port replaced ("…@127.0.0.1:5432/db" → "…@127.0.0.1:port/db").
std::string with_port(const std::string& url, std::uint16_t port) {
  const auto path = url.find('/', url.find("://") + 3);
  const auto colon = url.rfind(':', path);
  return url.substr(0, colon + 1) + std::to_string(port) + url.substr(path);
}
std::uint16_t port_of(const std::string& url) {
  const auto path = url.find('/', url.find("://") + 3);
  const auto colon = url.rfind(':', path);
  return static_cast<std::uint16_t>(std::stoi(url.substr(colon + 1, path - colon - 1)));
}

// The replica's URL for the primary database `primary_url` names.
std::string replica_of(const char* variable, const std::string& primary_url) {
  std::string first = service_url(variable);
  first = first.substr(0, first.find(','));
  return first.substr(0, first.rfind('/')) + primary_url.substr(primary_url.rfind('/'));
}

template <class Kind>
class Replicas : public ::testing::Test {
 protected:
  using Pool = typename Kind::Pool;
  using Statement = typename Pool::Statement;
  using ReadRouter = typename Kind::ReadRouter;

  void SetUp() override {
    primary_ = db_.migrated_pool();
    replica_url_ = replica_of(Kind::kReplicaUrls, db_.url());
    // The new database reaches the replica by replication: wait for its schema there.
    Pool replica(io_.get_executor(), sqlclient::PoolOptions{replica_url_, 1});
    const auto deadline = std::chrono::steady_clock::now() + 10s;
    for (;;) {
      try {
        run(io_, replica.query("SELECT 1 FROM products LIMIT 1"));
        break;
      } catch (const std::exception& e) {
        if (std::chrono::steady_clock::now() > deadline)
          FAIL() << "the replica never showed the new database: " << e.what();
        sleep_ms(50);
      }
    }
  }
  void open(std::vector<std::string> replica_urls) {
    reads_ = std::make_unique<ReadRouter>(*primary_, replica_urls, sqlclient::PoolOptions{{}, 2});
    database_ = std::make_unique<typename Kind::Database>(*primary_, reads_.get());
    catalog_ = Kind::make_catalog(*database_);
    orders_ = std::make_unique<typename Kind::Orders>(*database_);
  }
  template <typename T>
  T await(asio::awaitable<T> op) {
    return run(io_, std::move(op));
  }
  // Runs SQL on the replica as its administrator, through a connection of its own.
  void on_replica(const std::string& sql) {
    Pool admin(io_.get_executor(), sqlclient::PoolOptions{service_url(Kind::kReplicaAdminUrl), 1});
    await(admin.query(sql));
  }
  // Pauses replay on the shared replica until destroyed. Tests that pause it run one at a time
  // (ctest runs test cases in parallel processes): a lock file serialises them.
  class ReplayPause {
   public:
    explicit ReplayPause(Replicas& t) : t_(t) {
      fd_ = ::open((std::string("/tmp/orderflow-replica-replay-") + Kind::kName + ".lock").c_str(),
                   O_CREAT | O_RDWR, 0666);
      if (fd_ >= 0) ::flock(fd_, LOCK_EX);
      t_.on_replica(Kind::kPauseReplay);
    }
    ~ReplayPause() {
      resume();
      if (fd_ >= 0) ::close(fd_);  // releases the lock
    }
    void resume() {
      if (!resumed_) t_.on_replica(Kind::kResumeReplay);
      resumed_ = true;
    }

   private:
    Replicas& t_;
    int fd_ = -1;
    bool resumed_ = false;
  };
  static std::vector<Statement> on_replica_query() {
    std::vector<Statement> s;
    s.push_back(Statement{Kind::kOnReplica, {}});
    return s;
  }
  bool read_on_standby() {
    return await(reads_->read(on_replica_query())).at(0).rows.at(0).at(0) == "1";
  }
  domain::CatalogProduct some_product() {
    ports::ProductFilter f;
    return await(catalog_->list_products(f)).data.at(0);
  }

  asio::io_context io_;
  ScratchServerDatabase<typename Kind::Server> db_{io_};
  std::string replica_url_;
  std::unique_ptr<Pool> primary_;
  std::unique_ptr<ReadRouter> reads_;
  std::unique_ptr<typename Kind::Database> database_;
  std::unique_ptr<ports::Catalog> catalog_;
  std::unique_ptr<typename Kind::Orders> orders_;
};

using ReplicatedDatabases = ::testing::Types<PgReplication, MysqlReplication>;
TYPED_TEST_SUITE(Replicas, ReplicatedDatabases, BackendNames);

TYPED_TEST(Replicas, ListsGoToTheReplicaAndOrdersByIdToThePrimary) {
  this->open({this->replica_url_});
  this->await(this->catalog_->load_demo_catalog(domain::demo_catalog()));
  // Wait until the replica has replayed the demo catalog, as it soon does.
  for (int i = 0; i < 200 && this->reads_->stats().replica_reads == 0; ++i) {
    this->await(this->catalog_->list_categories());
    sleep_ms(10);
  }
  EXPECT_TRUE(this->read_on_standby());
  const auto p = this->some_product();
  const auto before = this->reads_->stats();
  for (int i = 0; i < 20; ++i) {
    EXPECT_FALSE(this->await(this->catalog_->list_products({})).data.empty());
    EXPECT_FALSE(this->await(this->catalog_->list_categories()).empty());
    this->await(this->orders_->list_orders({}));
    this->await(this->orders_->order_totals());
  }
  const auto after = this->reads_->stats();
  EXPECT_EQ(after.replica_reads - before.replica_reads, 80u);
  EXPECT_EQ(after.primary_reads, before.primary_reads);

  // Reads that must see the latest write bypass the router.
  this->await(this->catalog_->find_products({p.product_id}));
  this->await(this->orders_->find_order("no-such-order"));
  this->await(this->orders_->order_events("no-such-order"));
  const auto last = this->reads_->stats();
  EXPECT_EQ(last.replica_reads + last.primary_reads, after.replica_reads + after.primary_reads);
}

TYPED_TEST(Replicas, AReplicaBehindThisProcessesWriteIsNotRead) {
  this->open({this->replica_url_});
  this->await(this->catalog_->load_demo_catalog(domain::demo_catalog()));
  const auto p = this->some_product();
  // Replay stops: the replica keeps the old price however long we wait.
  typename TestFixture::ReplayPause paused(*this);
  domain::ProductFields change;
  change.price = p.price + 1;
  ASSERT_EQ(this->await(this->catalog_->update_product(p.product_id, change)).outcome,
            ports::WriteOutcome::ok);
  const auto before = this->reads_->stats();
  ports::ProductFilter f;
  f.q = p.sku;
  const auto listed = this->await(this->catalog_->list_products(f));
  ASSERT_EQ(listed.data.size(), 1u);
  EXPECT_EQ(listed.data[0].price, p.price + 1) << "a stale price from the paused replica";
  EXPECT_EQ(this->reads_->stats().primary_reads, before.primary_reads + 1);
  // Once replay resumes the replica catches up and serves reads again.
  paused.resume();
  for (int i = 0; i < 200 && this->reads_->stats().replica_reads == before.replica_reads; ++i) {
    EXPECT_EQ(this->await(this->catalog_->list_products(f)).data.at(0).price, p.price + 1);
    sleep_ms(10);
  }
  EXPECT_GT(this->reads_->stats().replica_reads, before.replica_reads);
}

TYPED_TEST(Replicas, AListingCachedFromALaggingReplicaIsRetiredOnceItCatchesUp) {
  // Two processes sharing one Redis cache and one replica: A changes a price, B lists.
  redis::Client redis(this->io_.get_executor(), redis_from_env());
  const auto prefix = "test:" + uuid_v7() + ":";
  const auto cache_a = backends::make_redis_cache(redis, prefix);
  const auto cache_b = backends::make_redis_cache(redis, prefix);
  this->open({this->replica_url_});
  typename TypeParam::ReadRouter reads_b(*this->primary_, {this->replica_url_},
                                         sqlclient::PoolOptions{{}, 2});
  typename TypeParam::Database database_b(*this->primary_, &reads_b);
  const auto catalog_b = TypeParam::make_catalog(database_b);
  service::CatalogService a(*this->catalog_, *cache_a, {}, "USD"),
      b(*catalog_b, *cache_b, {}, "USD");
  this->await(a.load_demo_catalog(domain::demo_catalog()));
  const auto p = this->some_product();
  ports::ProductFilter only;
  only.q = p.sku;
  // "" while the listing is empty: B notes no write of A's, so a replica that another test
  // holds paused may not have the demo catalog yet.
  const auto listed_price = [&] {
    const auto doc = boost::json::parse(this->await(b.products(only)));
    const auto& data = doc.at("data").as_array();
    return data.empty() ? std::string() : std::string(data.at(0).at("price").as_string());
  };
  std::string old_price;
  for (int i = 0; i < 500 && (reads_b.stats().replica_reads == 0 || old_price.empty()); ++i) {
    this->await(cache_b->clear());
    old_price = listed_price();
    sleep_ms(10);
  }
  ASSERT_GT(reads_b.stats().replica_reads, 0u);
  ASSERT_FALSE(old_price.empty()) << "the replica never showed the demo catalog";

  typename TestFixture::ReplayPause paused(*this);
  this->await(a.update_product(p.product_id, boost::json::parse(R"({"price":"99.99"})")));
  // B knows nothing of A's write: its listing comes from the paused replica, and is cached.
  EXPECT_EQ(listed_price(), old_price);
  EXPECT_EQ(listed_price(), old_price);
  paused.resume();
  // Once the replica has replayed the change, A retires the listings again.
  std::string seen;
  for (int i = 0; i < 250 && seen != "99.99"; ++i) {
    sleep_ms(20);
    seen = listed_price();
  }
  EXPECT_EQ(seen, "99.99") << "a stale listing outlived the replica's lag";
  // The retirements run in the background: let them finish before their objects go.
  const auto deadline = std::chrono::steady_clock::now() + 15s;
  this->io_.restart();
  while (a.retirements_pending() > 0 && std::chrono::steady_clock::now() < deadline)
    this->io_.run_one_for(50ms);
  EXPECT_EQ(a.retirements_pending(), 0);
  this->await(cache_a->clear());
}

TYPED_TEST(Replicas, WithThePrimaryDownAReplicaBehindStillAnswers) {
  using Pool = typename TypeParam::Pool;
  // A router whose primary is unreachable (nothing listens on port 1).
  Pool dead(this->io_.get_executor(), sqlclient::PoolOptions{TypeParam::kUnreachable, 1});
  typename TypeParam::ReadRouter router(dead, {this->replica_url_}, sqlclient::PoolOptions{{}, 1});
  // The primary cannot say where it is after a write: the replica counts as behind...
  this->await(router.note_write());
  // ...but with the primary unreachable its answer beats a 503.
  EXPECT_EQ(this->await(router.read(this->on_replica_query())).at(0).rows.at(0).at(0), "1");
  EXPECT_EQ(router.stats().stale_reads, 1u);
  EXPECT_EQ(router.stats().replica_reads, 0u);
  // Without a replica answer the primary's failure is the caller's.
  typename TypeParam::ReadRouter no_replicas(dead, {}, sqlclient::PoolOptions{});
  EXPECT_THROW(this->await(no_replicas.read(this->on_replica_query())),
               typename Pool::ConnectionError);
}

TYPED_TEST(Replicas, AFailedReplicaIsSkippedThenTriedAgain) {
  // The first replica refuses connections (nothing listens on port 1); the second is the real
  // one behind a relay, which goes away and comes back.
  TcpRelay relay(port_of(this->replica_url_));
  this->open({TypeParam::kUnreachable, with_port(this->replica_url_, relay.port())});
  this->await(this->catalog_->load_demo_catalog(domain::demo_catalog()));
  for (int i = 0; i < 20; ++i) EXPECT_FALSE(this->await(this->catalog_->list_categories()).empty());
  auto status = this->reads_->status();
  ASSERT_EQ(status.size(), 2u);
  EXPECT_FALSE(status[0].healthy);
  EXPECT_NE(status[0].last_error, "");
  EXPECT_EQ(status[0].name, "127.0.0.1:1/none");

  // The working replica goes away: reads fall back to the primary at once...
  for (int i = 0; i < 200 && !this->read_on_standby(); ++i) sleep_ms(10);
  ASSERT_TRUE(this->read_on_standby());
  relay.cut();
  for (int i = 0; i < 5; ++i) EXPECT_FALSE(this->read_on_standby()) << "read " << i;
  EXPECT_FALSE(this->reads_->status()[1].healthy);
  // ...and return to it once it is back, after the first backoff.
  relay.mend();
  sleep_ms(1100);
  bool back = false;
  for (int i = 0; i < 10 && !back; ++i) back = this->read_on_standby();
  EXPECT_TRUE(back);
  EXPECT_TRUE(this->reads_->status()[1].healthy);
}

}  // namespace
}  // namespace orderflow::testing
