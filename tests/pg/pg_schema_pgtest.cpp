// PostgreSQL migrations: concurrent starts, idempotent re-runs, the tables they make.
#include <gtest/gtest.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>

#include <cstdlib>

#include "../conformance/harness.hpp"
#include "pg/schema.hpp"
#include "util/ids.hpp"

namespace orderflow::testing {
namespace {

// A fresh database on the test server, dropped at the end.
class ScratchDatabase {
 public:
  explicit ScratchDatabase(asio::io_context& io) : io_(io) {
    const char* url = std::getenv("DATABASE_URL");
    if (!url) throw std::runtime_error("DATABASE_URL is not set: run through scripts/test");
    base_ = url;
    name_ = "scratch_" + sha256_hex(uuid_v7()).substr(0, 12);
    admin_ = std::make_unique<pg::Pool>(io.get_executor(), pg::PoolOptions{base_, 1});
    exec("CREATE DATABASE " + name_);
  }
  ~ScratchDatabase() {
    try {
      exec("DROP DATABASE IF EXISTS " + name_ + " WITH (FORCE)");
    } catch (...) {
    }
  }
  std::string url() const { return base_.substr(0, base_.rfind('/') + 1) + name_; }

 private:
  void exec(const std::string& sql) {
    std::vector<pg::Statement> s;
    s.push_back({sql, {}, false});
    run(io_, admin_->execute(std::move(s)));
  }
  asio::io_context& io_;
  std::string base_, name_;
  std::unique_ptr<pg::Pool> admin_;
};

TEST(PgSchema, ConcurrentMigrationsAgreeAndRerunsAreNoOps) {
  asio::io_context io;
  std::unique_ptr<ScratchDatabase> db;
  ASSERT_NO_THROW(db = std::make_unique<ScratchDatabase>(io));
  // Three "processes" (separate pools, separate connections) start at once.
  std::vector<std::unique_ptr<pg::Pool>> pools;
  for (int i = 0; i < 3; ++i)
    pools.push_back(std::make_unique<pg::Pool>(io.get_executor(), pg::PoolOptions{db->url(), 1}));
  std::vector<int> versions;
  std::vector<std::string> errors;
  for (auto& p : pools)
    asio::co_spawn(
        io,
        [&, pool = p.get()]() -> asio::awaitable<void> {
          try {
            versions.push_back(co_await pg::migrate(*pool));
          } catch (const std::exception& e) {
            errors.push_back(e.what());
          }
        },
        asio::detached);
  io.restart();
  io.run();
  EXPECT_TRUE(errors.empty()) << errors.front();
  EXPECT_EQ(versions, std::vector<int>(3, pg::schema_version()));
  EXPECT_EQ(run(io, pg::migrate(*pools[0])), pg::schema_version());
  const auto tables =
      run(io, pools[0]->query("SELECT count(*) AS n FROM information_schema.tables WHERE "
                              "table_schema = 'public' AND table_name = ANY($1::text[])",
                              {"{queue_messages,order_intake,orders,order_events,products,"
                               "categories,carts,cart_items,schema_migrations}"}));
  EXPECT_EQ(tables.at(0, "n"), "9");
  const auto applied = run(io, pools[0]->query("SELECT count(*) AS n FROM schema_migrations"));
  EXPECT_EQ(applied.at(0, "n"), std::to_string(pg::schema_version()));
  pools.clear();
}

}  // namespace
}  // namespace orderflow::testing
