// The asynchronous MySQL client against a real MariaDB server (scripts/services starts one).
#include <gtest/gtest.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>

#include "../conformance/harness.hpp"
#include "base/ids.hpp"
#include "drivers/mysql/pool.hpp"

namespace orderflow::testing {
namespace {

using namespace std::chrono_literals;

class MysqlClient : public ::testing::Test {
 protected:
  void SetUp() override {
    pool_ = std::make_unique<mysql::Pool>(io_.get_executor(),
                                          mysql::PoolOptions{service_url("MYSQL_URL"), 4});
    query("DROP TABLE IF EXISTS " + table_);
    query("CREATE TABLE " + table_ + " (id INT PRIMARY KEY, note TEXT)");
  }
  void TearDown() override { query("DROP TABLE IF EXISTS " + table_); }

  template <typename T>
  T await(asio::awaitable<T> op) {
    return run(io_, std::move(op));
  }
  mysql::Result query(std::string sql, mysql::Params params = {}) {
    return await(pool_->query(std::move(sql), std::move(params)));
  }
  std::vector<mysql::Result> execute(std::vector<mysql::Statement> statements) {
    return await(pool_->execute(std::move(statements)));
  }
  std::int64_t rows_in_table() {
    return query("SELECT COUNT(*) AS n FROM " + table_).row(0).integer("n");
  }

  asio::io_context io_;
  std::unique_ptr<mysql::Pool> pool_;
  // A table of this test's own: ctest runs tests in parallel on one database.
  const std::string table_ = "client_test_" + sha256_hex(uuid_v7()).substr(0, 12);
};

TEST_F(MysqlClient, RunsParameterisedQueries) {
  const auto r = query("SELECT ? + 1 AS answer, NULL AS nothing, ? AS text", {41, "forty-two"});
  ASSERT_EQ(r.rows.size(), 1u);
  EXPECT_EQ(r.row(0).integer("answer"), 42);
  EXPECT_FALSE(r.row(0).optional_text("nothing"));
  EXPECT_EQ(r.row(0).text("text"), "forty-two");
}

TEST_F(MysqlClient, SessionsReadCommittedInUtf8mb4) {
  const auto r = query("SELECT @@tx_isolation AS isolation, @@character_set_client AS charset");
  EXPECT_EQ(r.row(0).text("isolation"), "READ-COMMITTED");
  EXPECT_EQ(r.row(0).text("charset"), "utf8mb4");
}

TEST_F(MysqlClient, TextComesBackByteForByteInBothProtocols) {
  // One statement with values is prepared (binary protocol); several go as one text query.
  const std::string nasty = std::string("it's a \"quote\", a \\ backslash, ; -- ? ") +
                            std::string(1, '\0') + "\n\r\x1a é 𝄞";
  const std::string long_text(5000, 'x');  // past the first buffer a value is read into
  std::vector<mysql::Statement> both;
  both.push_back({"INSERT INTO " + table_ + " VALUES (?, ?)", {2, long_text}});
  both.push_back({"INSERT INTO " + table_ + " VALUES (?, ?)", {3, mysql::Param()}});
  execute(std::move(both));
  query("INSERT INTO " + table_ + " VALUES (?, ?)", {1, nasty});
  const auto select = "SELECT id, note FROM " + table_ + " WHERE id >= ? ORDER BY id";
  std::vector<mysql::Statement> as_text;
  as_text.push_back({"SELECT 0", {}});
  as_text.push_back({select, {1}});
  for (const auto& r : {query(select, {1}), execute(std::move(as_text)).at(1)}) {
    ASSERT_EQ(r.rows.size(), 3u);
    EXPECT_EQ(r.row(0).integer("id"), 1);
    EXPECT_EQ(r.row(0).text("note"), nasty);
    EXPECT_EQ(r.row(1).text("note"), long_text);
    EXPECT_FALSE(r.row(2).optional_text("note"));
  }
  EXPECT_EQ(query("SELECT ? AS n, ? AS big", {std::int64_t{-9'000'000'000}, "18446744073709551615"})
                .row(0)
                .text("n"),
            "-9000000000");
}

TEST_F(MysqlClient, OneStatementWithValuesIsPreparedOncePerConnection) {
  mysql::Pool pool(io_.get_executor(), mysql::PoolOptions{service_url("MYSQL_URL"), 1});
  const auto status = [&](const char* name) {
    mysql::Params p{name};
    return run(io_, pool.query("SELECT VARIABLE_VALUE AS v FROM information_schema.SESSION_STATUS "
                               "WHERE VARIABLE_NAME = ?",
                               std::move(p)))
        .row(0)
        .integer("v");
  };
  const auto prepared_before = status("COM_STMT_PREPARE");
  const auto executed_before = status("COM_STMT_EXECUTE");
  for (int i = 0; i < 3; ++i)
    EXPECT_EQ(run(io_, pool.query("SELECT ? * 2 AS v", {i})).row(0).integer("v"), i * 2);
  // The status query itself is prepared (once, before) and executed each time.
  EXPECT_EQ(status("COM_STMT_PREPARE") - prepared_before, 1);
  EXPECT_EQ(status("COM_STMT_EXECUTE") - executed_before, 3 + 2);
  // A refused statement leaves the prepared one usable.
  EXPECT_THROW(run(io_, pool.query("SELECT * FROM no_such_table_at_all WHERE id = ?", {1})),
               mysql::QueryError);
  EXPECT_EQ(run(io_, pool.query("SELECT ? * 2 AS v", {21})).row(0).integer("v"), 42);
  // Past the per-connection cap, statements go as text and still answer.
  for (int i = 0; i < 80; ++i)
    EXPECT_EQ(
        run(io_, pool.query("SELECT ? + " + std::to_string(i) + " AS v", {1})).row(0).integer("v"),
        i + 1);
  EXPECT_LE(status("COM_STMT_PREPARE") - prepared_before, 64);
}

TEST_F(MysqlClient, StatementsOfARequestAreOneTransaction) {
  std::vector<mysql::Statement> twice;
  twice.push_back({"INSERT INTO " + table_ + " VALUES (?, ?)", {1, "first"}});
  twice.push_back({"INSERT INTO " + table_ + " VALUES (?, ?)", {2, "second"}});
  twice.push_back({"SELECT COUNT(*) AS n FROM " + table_, {}});
  const auto results = execute(std::move(twice));
  ASSERT_EQ(results.size(), 3u);
  EXPECT_EQ(results[0].affected, 1);
  EXPECT_EQ(results[2].row(0).integer("n"), 2);

  std::vector<mysql::Statement> clash;
  clash.push_back({"INSERT INTO " + table_ + " VALUES (?, ?)", {3, "third"}});
  clash.push_back({"INSERT INTO " + table_ + " VALUES (?, ?)", {1, "a duplicate"}});
  try {
    execute(std::move(clash));
    ADD_FAILURE() << "a duplicate key was accepted";
  } catch (const mysql::QueryError& e) {
    EXPECT_EQ(e.code(), 1062u);
    EXPECT_EQ(e.sqlstate(), "23000");
  }
  EXPECT_EQ(rows_in_table(), 2) << "the request's first insert was undone";
  EXPECT_EQ(query("SELECT 1 AS one").row(0).integer("one"), 1) << "the connection still works";
}

TEST_F(MysqlClient, AnUpdateCountsTheRowsItMatched) {
  query("INSERT INTO " + table_ + " VALUES (1, 'same')");
  EXPECT_EQ(query("UPDATE " + table_ + " SET note = 'same' WHERE id = 1").affected, 1);
}

TEST_F(MysqlClient, ALeaseHoldsATransactionAcrossRequests) {
  auto lease = await(pool_->lease());
  const auto on_lease = [&](const char* sql) {
    std::vector<mysql::Statement> one;
    one.push_back({sql, {}});
    return await(lease.execute(std::move(one)));
  };
  on_lease("START TRANSACTION");
  std::vector<mysql::Statement> two;
  two.push_back({"INSERT INTO " + table_ + " VALUES (1, 'a')", {}});
  two.push_back({"INSERT INTO " + table_ + " VALUES (2, 'b')", {}});
  await(lease.execute(std::move(two)));  // inside the open transaction: no commit of its own
  on_lease("ROLLBACK");
  lease = {};
  EXPECT_EQ(rows_in_table(), 0);
}

TEST_F(MysqlClient, ManyConcurrentRequestsShareThePool) {
  constexpr int kRequests = 300;
  const auto doubled = [&](int i) -> asio::awaitable<bool> {
    mysql::Params params{i};  // named: GCC 12 mishandles a braced temporary in a coroutine
    auto r = co_await pool_->query("SELECT ? * 2 AS v", std::move(params));
    co_return r.row(0).integer("v") == i * 2;
  };
  EXPECT_EQ(count_concurrent(io_, kRequests, doubled), kRequests);
  EXPECT_LE(pool_->stats().connected, 4u);
}

TEST_F(MysqlClient, AQueryPastItsTimeoutDropsTheConnectionAndThePoolRecovers) {
  mysql::Pool pool(io_.get_executor(),
                   mysql::PoolOptions{service_url("MYSQL_URL"), 1, 5000ms, 300ms});
  EXPECT_THROW(run(io_, pool.query("SELECT SLEEP(5)")), mysql::ConnectionError);
  EXPECT_EQ(run(io_, pool.query("SELECT 7 AS v")).row(0).integer("v"), 7);
}

TEST_F(MysqlClient, AConnectionTheServerClosesWhileIdleIsReplacedBeforeTheNextRequest) {
  mysql::Pool pool(io_.get_executor(), mysql::PoolOptions{service_url("MYSQL_URL"), 1});
  const auto first = run(io_, pool.query("SELECT CONNECTION_ID() AS id")).row(0).text("id");
  query("KILL CONNECTION " + first);  // as a server restart or wait_timeout would
  // The idle connection notices by itself (its socket is watched): running `io` lets it.
  const auto deadline = std::chrono::steady_clock::now() + 2s;
  io_.restart();
  while (pool.stats().connected > 0 && std::chrono::steady_clock::now() < deadline)
    io_.run_one_for(10ms);
  EXPECT_EQ(pool.stats().connected, 0u);
  // The next request gets a new connection instead of failing on the dead one.
  EXPECT_NE(run(io_, pool.query("SELECT CONNECTION_ID() AS id")).row(0).text("id"), first);
}

TEST_F(MysqlClient, AnUnreachableServerIsAConnectionErrorThenABackoff) {
  mysql::Pool pool(io_.get_executor(),
                   mysql::PoolOptions{"mysql://nobody@127.0.0.1:1/none", 1, 1000ms});
  EXPECT_THROW(run(io_, pool.query("SELECT 1")), mysql::ConnectionError);
  try {
    run(io_, pool.query("SELECT 1"));
    ADD_FAILURE() << "connected to nothing";
  } catch (const mysql::ConnectionError& e) {
    EXPECT_NE(std::string(e.what()).find("unavailable"), std::string::npos) << e.what();
  }
}

TEST_F(MysqlClient, AWrongPasswordIsAConnectionErrorWithoutThePassword) {
  auto url = service_url("MYSQL_URL");
  const auto at = url.find('@');
  const auto colon = url.rfind(':', at);
  url = url.substr(0, colon + 1) + "wrong-secret" + url.substr(at);
  mysql::Pool pool(io_.get_executor(), mysql::PoolOptions{url, 1});
  try {
    run(io_, pool.query("SELECT 1"));
    ADD_FAILURE() << "connected with a wrong password";
  } catch (const mysql::ConnectionError& e) {
    EXPECT_EQ(std::string(e.what()).find("wrong-secret"), std::string::npos) << e.what();
  }
}

asio::awaitable<void> query_holding(mysql::Pool& pool, std::shared_ptr<int> witness) {
  co_await pool.query("SELECT SLEEP(0.05)");
  ++*witness;
}

TEST_F(MysqlClient, ARequestCutOffByShutdownIsFreed) {
  EXPECT_EQ(first_cut_off_that_leaks([](asio::io_context& io, std::shared_ptr<int> witness) {
              auto pool = std::make_unique<mysql::Pool>(
                  io.get_executor(), mysql::PoolOptions{service_url("MYSQL_URL"), 1});
              run(io, pool->query("SELECT 1"));  // connected: the request goes straight out
              asio::co_spawn(io, query_holding(*pool, std::move(witness)), asio::detached);
              return pool;
            }),
            std::nullopt);
}

}  // namespace
}  // namespace orderflow::testing
