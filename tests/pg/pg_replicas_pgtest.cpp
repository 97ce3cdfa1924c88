// Read replicas against the real streaming replica that scripts/services starts: which reads go
// there, read-your-writes when the replica is behind, and a failed replica skipped then retried.
#include <gtest/gtest.h>

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <boost/json/parse.hpp>

#include "../conformance/backends.hpp"
#include "backends/postgres/pg_catalog.hpp"
#include "backends/postgres/pg_orders.hpp"
#include "backends/redis/redis_cache.hpp"
#include "drivers/pg/replicas.hpp"
#include "service/catalog_service.hpp"

namespace orderflow::testing {
namespace {

using namespace std::chrono_literals;

// The replica's URL for the primary database `primary_url` names.
std::string replica_of(const std::string& primary_url) {
  const char* urls = std::getenv("DATABASE_REPLICA_URLS");
  if (!urls || !*urls)
    throw std::runtime_error("DATABASE_REPLICA_URLS is not set: run through scripts/test");
  std::string first(urls);
  first = first.substr(0, first.find(','));
  return first.substr(0, first.rfind('/')) + primary_url.substr(primary_url.rfind('/'));
}

class PgReplicas : public ::testing::Test {
 protected:
  void SetUp() override {
    primary_ = std::make_unique<pg::Pool>(io_.get_executor(), pg::PoolOptions{db_.url(), 4});
    run(io_, backends::migrate_postgres(*primary_));
    replica_url_ = replica_of(db_.url()) + "?application_name=orderflow_replica_test";
    // The new database reaches the replica by streaming: wait for its schema there.
    pg::Pool replica(io_.get_executor(), pg::PoolOptions{replica_url_, 1});
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
    reads_ = std::make_unique<pg::ReadRouter>(*primary_, replica_urls, pg::PoolOptions{{}, 2});
    database_ = std::make_unique<backends::PgDatabase>(*primary_, reads_.get());
    catalog_ = backends::make_pg_catalog(*database_);
    orders_ = std::make_unique<backends::PgOrders>(*database_);
  }
  template <typename T>
  T await(asio::awaitable<T> op) {
    return run(io_, std::move(op));
  }
  // Runs SQL on the replica through a connection of its own (not the router's).
  std::string on_replica(const std::string& sql) {
    pg::Pool admin(io_.get_executor(), pg::PoolOptions{replica_of(db_.url()), 1});
    const auto r = await(admin.query(sql));
    return r.rows.empty() || !r.rows[0][0] ? "" : *r.rows[0][0];
  }
  // Pauses WAL replay on the shared replica until destroyed. Tests that pause it run one at a
  // time (ctest runs test cases in parallel processes): a lock file serialises them.
  class ReplayPause {
   public:
    explicit ReplayPause(PgReplicas& t) : t_(t) {
      fd_ = ::open("/tmp/orderflow-replica-replay.lock", O_CREAT | O_RDWR, 0666);
      if (fd_ >= 0) ::flock(fd_, LOCK_EX);
      t_.on_replica("SELECT pg_wal_replay_pause()");
    }
    ~ReplayPause() {
      resume();
      if (fd_ >= 0) ::close(fd_);  // releases the lock
    }
    void resume() {
      if (!resumed_) t_.on_replica("SELECT pg_wal_replay_resume()");
      resumed_ = true;
    }

   private:
    PgReplicas& t_;
    int fd_ = -1;
    bool resumed_ = false;
  };
  bool read_on_standby() {
    std::vector<pg::Statement> s;
    s.push_back({"SELECT pg_is_in_recovery()", {}});
    return await(reads_->read(std::move(s))).at(0).rows.at(0).at(0) == "t";
  }
  domain::CatalogProduct some_product() {
    ports::ProductFilter f;
    return await(catalog_->list_products(f)).data.at(0);
  }

  asio::io_context io_;
  ScratchDatabase db_{io_};
  std::string replica_url_;
  std::unique_ptr<pg::Pool> primary_;
  std::unique_ptr<pg::ReadRouter> reads_;
  std::unique_ptr<backends::PgDatabase> database_;
  std::unique_ptr<ports::Catalog> catalog_;
  std::unique_ptr<backends::PgOrders> orders_;
};

TEST_F(PgReplicas, ParsesAndFormatsWalPositions) {
  EXPECT_EQ(pg::parse_lsn("16/B374D848"), (0x16ULL << 32) | 0xB374D848ULL);
  EXPECT_EQ(pg::format_lsn((0x16ULL << 32) | 0xB374D848ULL), "16/B374D848");
  EXPECT_EQ(pg::parse_lsn("0/0"), 0u);
  EXPECT_FALSE(pg::parse_lsn("16B374D848"));
  EXPECT_FALSE(pg::parse_lsn("x/1"));
  EXPECT_FALSE(pg::parse_lsn("/1"));
}

TEST_F(PgReplicas, ListsGoToTheReplicaAndOrdersByIdToThePrimary) {
  open({replica_url_});
  await(catalog_->load_demo_catalog(domain::demo_catalog()));
  // Wait until the replica has replayed the demo catalog, as it soon does.
  for (int i = 0; i < 200 && reads_->stats().replica_reads == 0; ++i) {
    await(catalog_->list_categories());
    sleep_ms(10);
  }
  EXPECT_TRUE(read_on_standby());
  const auto p = some_product();
  const auto before = reads_->stats();
  for (int i = 0; i < 20; ++i) {
    EXPECT_FALSE(await(catalog_->list_products({})).data.empty());
    EXPECT_FALSE(await(catalog_->list_categories()).empty());
    await(orders_->list_orders({}));
    await(orders_->order_totals());
  }
  const auto after = reads_->stats();
  EXPECT_EQ(after.replica_reads - before.replica_reads, 80u);
  EXPECT_EQ(after.primary_reads, before.primary_reads);

  // Reads that must see the latest write bypass the router.
  await(catalog_->find_products({p.product_id}));
  await(orders_->find_order("no-such-order"));
  await(orders_->order_events("no-such-order"));
  const auto last = reads_->stats();
  EXPECT_EQ(last.replica_reads + last.primary_reads, after.replica_reads + after.primary_reads);
}

TEST_F(PgReplicas, AReplicaBehindThisProcessesWriteIsNotRead) {
  open({replica_url_});
  await(catalog_->load_demo_catalog(domain::demo_catalog()));
  const auto p = some_product();
  // Replay stops: the replica keeps the old price however long we wait.
  ReplayPause paused(*this);
  domain::ProductFields change;
  change.price = p.price + 1;
  ASSERT_EQ(await(catalog_->update_product(p.product_id, change)).outcome, ports::WriteOutcome::ok);
  const auto before = reads_->stats();
  ports::ProductFilter f;
  f.q = p.sku;
  const auto listed = await(catalog_->list_products(f));
  ASSERT_EQ(listed.data.size(), 1u);
  EXPECT_EQ(listed.data[0].price, p.price + 1) << "a stale price from the paused replica";
  EXPECT_EQ(reads_->stats().primary_reads, before.primary_reads + 1);
  // Once replay resumes the replica catches up and serves reads again.
  paused.resume();
  for (int i = 0; i < 200 && reads_->stats().replica_reads == before.replica_reads; ++i) {
    EXPECT_EQ(await(catalog_->list_products(f)).data.at(0).price, p.price + 1);
    sleep_ms(10);
  }
  EXPECT_GT(reads_->stats().replica_reads, before.replica_reads);
}

TEST_F(PgReplicas, AListingCachedFromALaggingReplicaIsRetiredOnceItCatchesUp) {
  // Two processes sharing one Redis cache and one replica: A changes a price, B lists.
  redis::Client redis(io_.get_executor(), redis_from_env());
  const auto prefix = "test:" + uuid_v7() + ":";
  const auto cache_a = backends::make_redis_cache(redis, prefix);
  const auto cache_b = backends::make_redis_cache(redis, prefix);
  open({replica_url_});
  pg::ReadRouter reads_b(*primary_, {replica_url_}, pg::PoolOptions{{}, 2});
  backends::PgDatabase database_b(*primary_, &reads_b);
  const auto catalog_b = backends::make_pg_catalog(database_b);
  service::CatalogService a(*catalog_, *cache_a, {}, "USD"), b(*catalog_b, *cache_b, {}, "USD");
  await(a.load_demo_catalog(domain::demo_catalog()));
  const auto p = some_product();
  ports::ProductFilter only;
  only.q = p.sku;
  // "" while the listing is empty: B notes no write of A's, so a replica that another test
  // holds paused may not have the demo catalog yet.
  const auto listed_price = [&] {
    const auto doc = boost::json::parse(await(b.products(only)));
    const auto& data = doc.at("data").as_array();
    return data.empty() ? std::string() : std::string(data.at(0).at("price").as_string());
  };
  std::string old_price;
  for (int i = 0; i < 500 && (reads_b.stats().replica_reads == 0 || old_price.empty()); ++i) {
    await(cache_b->clear());
    old_price = listed_price();
    sleep_ms(10);
  }
  ASSERT_GT(reads_b.stats().replica_reads, 0u);
  ASSERT_FALSE(old_price.empty()) << "the replica never showed the demo catalog";

  ReplayPause paused(*this);
  await(a.update_product(p.product_id, boost::json::parse(R"({"price":"99.99"})")));
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
  io_.restart();
  while (a.retirements_pending() > 0 && std::chrono::steady_clock::now() < deadline)
    io_.run_one_for(50ms);
  EXPECT_EQ(a.retirements_pending(), 0);
  await(cache_a->clear());
}

TEST_F(PgReplicas, WithThePrimaryDownAReplicaBehindStillAnswers) {
  // A router whose primary is unreachable (nothing listens on port 1).
  pg::Pool dead(io_.get_executor(), pg::PoolOptions{"postgresql://postgres@127.0.0.1:1/none", 1});
  pg::ReadRouter router(dead, {replica_url_}, pg::PoolOptions{{}, 1});
  // The primary cannot say where it is after a write: the replica counts as behind...
  await(router.note_write());
  std::vector<pg::Statement> s;
  s.push_back({"SELECT pg_is_in_recovery()", {}});
  // ...but with the primary unreachable its answer beats a 503.
  EXPECT_EQ(await(router.read(s)).at(0).rows.at(0).at(0), "t");
  EXPECT_EQ(router.stats().stale_reads, 1u);
  EXPECT_EQ(router.stats().replica_reads, 0u);
  // Without a replica answer the primary's failure is the caller's.
  pg::ReadRouter no_replicas(dead, {}, pg::PoolOptions{});
  EXPECT_THROW(await(no_replicas.read(s)), pg::ConnectionError);
}

TEST_F(PgReplicas, AFailedReplicaIsSkippedThenTriedAgain) {
  // The first replica refuses connections (nothing listens on port 1).
  open({"postgresql://postgres@127.0.0.1:1/none", replica_url_});
  await(catalog_->load_demo_catalog(domain::demo_catalog()));
  for (int i = 0; i < 20; ++i) EXPECT_FALSE(await(catalog_->list_categories()).empty());
  auto status = reads_->status();
  ASSERT_EQ(status.size(), 2u);
  EXPECT_FALSE(status[0].healthy);
  EXPECT_NE(status[0].last_error, "");
  EXPECT_EQ(status[0].name, "127.0.0.1:1/none");

  // The working replica loses its connections: reads fall back at once, then return to it.
  for (int i = 0; i < 200 && !read_on_standby(); ++i) sleep_ms(10);
  EXPECT_EQ(on_replica("SELECT count(pg_terminate_backend(pid)) > 0 FROM pg_stat_activity "
                       "WHERE application_name = 'orderflow_replica_test'"),
            "t");
  sleep_ms(100);
  for (int i = 0; i < 5; ++i) EXPECT_FALSE(read_on_standby()) << "read " << i;
  EXPECT_FALSE(reads_->status()[1].healthy);
  sleep_ms(1100);  // the first backoff
  bool back = false;
  for (int i = 0; i < 10 && !back; ++i) back = read_on_standby();
  EXPECT_TRUE(back);
  EXPECT_TRUE(reads_->status()[1].healthy);
}

}  // namespace
}  // namespace orderflow::testing
