// The asynchronous PostgreSQL client against a real server (scripts/services starts one).
#include <gtest/gtest.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>

#include <cstdlib>

#include "../conformance/harness.hpp"
#include "drivers/pg/pool.hpp"
#include "drivers/sqlclient/group_commit.hpp"

namespace orderflow::testing {
namespace {

using namespace std::chrono_literals;

std::string database_url() {
  const char* url = std::getenv("DATABASE_URL");
  return url ? url : "";
}

class PgClient : public ::testing::Test {
 protected:
  void SetUp() override {
    if (database_url().empty())
      GTEST_FAIL() << "DATABASE_URL is not set: run the tests through scripts/test, which starts "
                      "PostgreSQL (scripts/services)";
    pool_ = std::make_unique<pg::Pool>(io_.get_executor(), pg::PoolOptions{database_url(), 4});
  }
  template <typename T>
  T await(asio::awaitable<T> op) {
    return run(io_, std::move(op));
  }
  pg::Result query(std::string sql, pg::Params params = {}) {
    return await(pool_->query(std::move(sql), std::move(params)));
  }
  std::vector<pg::Result> execute(std::vector<pg::Statement> statements) {
    return await(pool_->execute(std::move(statements)));
  }

  asio::io_context io_;
  std::unique_ptr<pg::Pool> pool_;
};

TEST_F(PgClient, RunsParameterisedQueries) {
  const auto r = query("SELECT $1::int + 1 AS answer, NULL::text AS nothing", {"41"});
  ASSERT_EQ(r.rows.size(), 1u);
  EXPECT_EQ(r.at(0, "answer"), "42");
  EXPECT_FALSE(r.at(0, "nothing"));
}

TEST_F(PgClient, PipelinesManyConcurrentRequests) {
  constexpr int kRequests = 300;
  const auto doubled = [&](int i) -> asio::awaitable<bool> {
    pg::Params params{std::to_string(i)};
    auto r = co_await pool_->query("SELECT $1::int * 2 AS v", std::move(params));
    co_return r.at(0, "v") == std::to_string(i * 2);
  };
  EXPECT_EQ(count_concurrent(io_, kRequests, doubled), kRequests);
  const auto s = pool_->stats();
  EXPECT_LE(s.connected, 4u);
  EXPECT_GE(s.connected, 1u);
}

TEST_F(PgClient, ARequestIsOneTransaction) {
  execute({{"CREATE TABLE IF NOT EXISTS pgtest_once(id int PRIMARY KEY)", {}, false},
           {"TRUNCATE pgtest_once", {}, false}});
  try {
    execute({{"INSERT INTO pgtest_once VALUES ($1)", {"1"}},
             {"INSERT INTO pgtest_once VALUES ($1)", {"1"}}});
    ADD_FAILURE() << "a duplicate key was accepted";
  } catch (const pg::QueryError& e) {
    EXPECT_EQ(e.sqlstate(), "23505");
  }
  EXPECT_EQ(query("SELECT count(*) AS n FROM pgtest_once").at(0, "n"), "0")
      << "the first insert was undone with the second";
  const auto results = execute({{"INSERT INTO pgtest_once VALUES ($1)", {"2"}},
                                {"SELECT count(*) AS n FROM pgtest_once", {}}});
  EXPECT_EQ(results.at(0).affected, 1);
  EXPECT_EQ(results.at(1).at(0, "n"), "1");
}

TEST_F(PgClient, PreparedStatementsAreNamedAndReused) {
  auto lease = await(pool_->lease());
  for (int i = 0; i < 3; ++i) {
    std::vector<pg::Statement> s;
    s.push_back({"SELECT $1::text AS echo", {"x"}});
    EXPECT_EQ(await(lease.execute(std::move(s))).at(0).at(0, "echo"), "x");
  }
  std::vector<pg::Statement> s;
  s.push_back(
      {"SELECT count(*) AS n FROM pg_prepared_statements WHERE name LIKE 'of_%' AND "
       "statement = 'SELECT $1::text AS echo'",
       {},
       false});
  EXPECT_EQ(await(lease.execute(std::move(s))).at(0).at(0, "n"), "1");
}

TEST_F(PgClient, ALeaseHoldsATransactionAcrossRequests) {
  execute({{"CREATE TABLE IF NOT EXISTS pgtest_tx(id int PRIMARY KEY)", {}, false},
           {"TRUNCATE pgtest_tx", {}, false}});
  {
    auto lease = await(pool_->lease());
    std::vector<pg::Statement> begin;
    begin.push_back({"BEGIN", {}, false});
    begin.push_back({"INSERT INTO pgtest_tx VALUES (7)", {}});
    await(lease.execute(std::move(begin)));
    EXPECT_EQ(query("SELECT count(*) AS n FROM pgtest_tx").at(0, "n"), "0") << "not committed yet";
    std::vector<pg::Statement> commit;
    commit.push_back({"COMMIT", {}, false});
    await(lease.execute(std::move(commit)));
  }
  EXPECT_EQ(query("SELECT count(*) AS n FROM pgtest_tx").at(0, "n"), "1");
}

TEST_F(PgClient, ReconnectsAfterItsBackendIsKilled) {
  std::string pid;
  {
    auto lease = await(pool_->lease());
    std::vector<pg::Statement> s;
    s.push_back({"SELECT pg_backend_pid() AS pid", {}});
    pid = *await(lease.execute(std::move(s))).at(0).at(0, "pid");
  }
  // Kill every pooled backend from a separate connection.
  pg::Pool killer(io_.get_executor(), pg::PoolOptions{database_url(), 1});
  run(io_, killer.query("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE pid <> "
                        "pg_backend_pid() AND datname = current_database() AND pid = $1::int",
                        {pid}));
  // Requests on the dead connection fail; the pool then connects again by itself.
  bool recovered = false;
  for (int i = 0; i < 10 && !recovered; ++i) {
    try {
      recovered = query("SELECT 1 AS one").at(0, "one") == "1";
    } catch (const pg::ConnectionError&) {
      sleep_ms(100);
    }
  }
  EXPECT_TRUE(recovered);
}

TEST_F(PgClient, AConnectionTheServerClosesWhileIdleIsReplacedBeforeTheNextRequest) {
  pg::Pool pool(io_.get_executor(), pg::PoolOptions{database_url(), 1});
  const auto first = *run(io_, pool.query("SELECT pg_backend_pid()::text AS pid")).at(0, "pid");
  pg::Pool killer(io_.get_executor(), pg::PoolOptions{database_url(), 1});
  run(io_, killer.query("SELECT pg_terminate_backend($1::int)", {first}));
  // The idle connection notices by itself: running `io` lets it.
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(2);
  io_.restart();
  while (pool.stats().connected > 0 && std::chrono::steady_clock::now() < deadline)
    io_.run_one_for(std::chrono::milliseconds(10));
  EXPECT_EQ(pool.stats().connected, 0u);
  // The next request gets a new connection instead of failing on the dead one.
  EXPECT_NE(*run(io_, pool.query("SELECT pg_backend_pid()::text AS pid")).at(0, "pid"), first);
}

// Host names are looked up by Asio's resolver off the I/O threads (libpq would block the thread
// that polls it) and handed to libpq as addresses; these check that the names still work.
std::string with_host(const std::string& url, const std::string& host) {
  const auto at = url.find("127.0.0.1");
  return at == std::string::npos ? url : url.substr(0, at) + host + url.substr(at + 9);
}

TEST_F(PgClient, ConnectsToAHostName) {
  pg::Pool named(io_.get_executor(), pg::PoolOptions{with_host(database_url(), "localhost"), 1});
  EXPECT_EQ(run(io_, named.query("SELECT 1 AS one")).at(0, "one"), "1");
}

TEST_F(PgClient, AHostThatDoesNotResolveIsSkippedForTheNext) {
  // One port per host: the list of ports follows the hosts as they expand into addresses.
  pg::Pool listed(
      io_.get_executor(),
      pg::PoolOptions{with_host(database_url(), "no-such-host.invalid:1,localhost"), 1});
  EXPECT_EQ(run(io_, listed.query("SELECT 1 AS one")).at(0, "one"), "1");
}

TEST_F(PgClient, AHostNameThatDoesNotResolveFailsClearly) {
  pg::Pool nowhere(io_.get_executor(),
                   pg::PoolOptions{"postgresql://postgres@no-such-host.invalid/db", 1});
  try {
    run(io_, nowhere.query("SELECT 1"));
    ADD_FAILURE() << "connected to a host that does not exist";
  } catch (const pg::ConnectionError& e) {
    EXPECT_NE(std::string(e.what()).find("cannot resolve no-such-host.invalid"), std::string::npos)
        << e.what();
  }
}

TEST_F(PgClient, AnUnreachableServerFailsFast) {
  pg::PoolOptions o{"postgresql://postgres@127.0.0.1:1/none", 2};
  o.connect_timeout = 1000ms;
  pg::Pool down(io_.get_executor(), o);
  EXPECT_THROW(run(io_, down.query("SELECT 1")), pg::ConnectionError);
  const auto t0 = std::chrono::steady_clock::now();
  EXPECT_THROW(run(io_, down.query("SELECT 1")), pg::ConnectionError);
  EXPECT_LT(std::chrono::steady_clock::now() - t0, 50ms) << "within the backoff: no new attempt";
}

asio::awaitable<void> query_holding(pg::Pool& pool, std::shared_ptr<int> witness) {
  co_await pool.query("SELECT pg_sleep(0.05)");
  ++*witness;
}

TEST_F(PgClient, ARequestCutOffByShutdownIsFreed) {
  EXPECT_EQ(first_cut_off_that_leaks([](asio::io_context& io, std::shared_ptr<int> witness) {
              auto pool =
                  std::make_unique<pg::Pool>(io.get_executor(), pg::PoolOptions{database_url(), 1});
              run(io, pool->query("SELECT 1"));  // connected: the request goes straight out
              asio::co_spawn(io, query_holding(*pool, std::move(witness)), asio::detached);
              return pool;
            }),
            std::nullopt);
}

using SleepGroup = sqlclient::GroupCommit<int, int, pg::QueryError>;

asio::awaitable<std::vector<int>> sleep_for_group(pg::Pool& pool,
                                                  const std::vector<const int*>& group) {
  co_await pool.query("SELECT pg_sleep(0.05)");
  co_return std::vector<int>(group.size());
}

asio::awaitable<void> group_commit_holding(SleepGroup& group, std::shared_ptr<int> witness) {
  co_await group.submit(1);
  ++*witness;
}

TEST_F(PgClient, AGroupCommitCutOffByShutdownIsFreed) {
  EXPECT_EQ(first_cut_off_that_leaks([](asio::io_context& io, std::shared_ptr<int> witness) {
              auto pool =
                  std::make_unique<pg::Pool>(io.get_executor(), pg::PoolOptions{database_url(), 1});
              run(io, pool->query("SELECT 1"));
              auto group = std::make_unique<SleepGroup>(
                  io.get_executor(), [pool = pool.get()](const std::vector<const int*>& items) {
                    return sleep_for_group(*pool, items);
                  });
              asio::co_spawn(io, group_commit_holding(*group, std::move(witness)), asio::detached);
              // Destroyed in reverse: the group before its pool.
              return std::make_pair(std::move(pool), std::move(group));
            }),
            std::nullopt);
}

}  // namespace
}  // namespace orderflow::testing
