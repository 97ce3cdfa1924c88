// PostgreSQL migrations: concurrent starts, idempotent re-runs, the tables they make.
#include <gtest/gtest.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>

#include <cstdlib>

#include "../conformance/backends.hpp"
#include "backends/postgres/pg_schema.hpp"
#include "base/ids.hpp"

namespace orderflow::testing {
namespace {

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
            versions.push_back(co_await backends::migrate_postgres(*pool));
          } catch (const std::exception& e) {
            errors.push_back(e.what());
          }
        },
        asio::detached);
  io.restart();
  // Not io.run(): idle pooled connections keep reading, so the context never runs dry.
  while (versions.size() + errors.size() < pools.size()) io.run_one();
  EXPECT_TRUE(errors.empty()) << errors.front();
  EXPECT_EQ(versions, std::vector<int>(3, backends::pg_schema_version()));
  EXPECT_EQ(run(io, backends::migrate_postgres(*pools[0])), backends::pg_schema_version());
  const auto tables =
      run(io, pools[0]->query("SELECT count(*) AS n FROM information_schema.tables WHERE "
                              "table_schema = 'public' AND table_name = ANY($1::text[])",
                              {"{queue_messages,order_intake,orders,order_events,products,"
                               "categories,carts,cart_items,schema_migrations}"}));
  EXPECT_EQ(tables.at(0, "n"), "9");
  const auto applied = run(io, pools[0]->query("SELECT count(*) AS n FROM schema_migrations"));
  EXPECT_EQ(applied.at(0, "n"), std::to_string(backends::pg_schema_version()));
  pools.clear();
}

}  // namespace
}  // namespace orderflow::testing
