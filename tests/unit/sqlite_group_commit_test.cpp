// SQLite-specific: concurrent sends share transactions (group commit) and each completes only
// once its transaction has committed.
#include <gtest/gtest.h>

#include <boost/asio/detached.hpp>

#include "../conformance/backends.hpp"
#include "backends/sqlite/sqlite_queue.hpp"

namespace orderflow::testing {
namespace {

TEST(SqliteGroupCommit, ConcurrentSendsShareTransactions) {
  ScratchDir dir;
  sqlite::Database db(migrated_file(dir.file("gc.db"), 1));
  backends::SqliteQueue q(db, {});
  asio::io_context io;
  constexpr int kSends = 400;
  int done = 0;
  const auto commits_before = db.commits();
  for (int i = 0; i < kSends; ++i) {
    asio::co_spawn(
        io,
        [&, i]() -> asio::awaitable<void> {
          std::vector<queue::OutgoingMessage> batch;
          batch.push_back({"g" + std::to_string(i), std::nullopt, "m" + std::to_string(i)});
          auto r = co_await q.send(std::move(batch));
          EXPECT_FALSE(r.at(0).deduplicated);
          ++done;
        },
        asio::detached);
  }
  io.run();
  ASSERT_EQ(done, kSends);
  const auto commits = db.commits() - commits_before;
  EXPECT_LT(commits, kSends / 4) << "sends were not batched: " << commits << " commits";
  // Every completed send is durable: a fresh connection sees all of them.
  sqlite::Connection check(dir.file("gc.db"));
  auto cur = check.query("SELECT COUNT(*) FROM queue_messages");
  cur.next();
  EXPECT_EQ(cur.integer(0), kSends);
}

}  // namespace
}  // namespace orderflow::testing
