#include "backends/mysql/mysql_schema.hpp"

#include <stdexcept>
#include <vector>

namespace orderflow::backends {

namespace asio = boost::asio;

const SqlFiles& mysql_sql() {
  static const SqlFiles files(mysql_sql_files());
  return files;
}

int mysql_schema_version() {
  return static_cast<int>(mysql_sql().migrations().size());
}

namespace {
asio::awaitable<mysql::Result> run_one(mysql::Pool::Lease& lease, std::string sql,
                                       mysql::Params params = {}) {
  std::vector<mysql::Statement> one;
  one.push_back({std::move(sql), std::move(params)});
  auto results = co_await lease.execute(std::move(one));
  co_return std::move(results.at(0));
}
}  // namespace

asio::awaitable<int> migrate_mysql(mysql::Pool& pool) {
  const auto& sql = mysql_sql();
  auto lease = co_await pool.lease();
  const auto locked = co_await run_one(lease, sql["lock_migrations"]);
  if (locked.row(0).integer("locked") != 1)
    throw mysql::ConnectionError("another process held the migration lock for 60 s");
  std::exception_ptr failed;
  try {
    co_await run_one(lease, sql["create_schema_migrations"]);
    const auto current = static_cast<std::size_t>(
        (co_await run_one(lease, sql["schema_version"])).row(0).integer("v"));
    for (auto v = current; v < sql.migrations().size(); ++v) {
      // One statement per request: DDL commits by itself, and a request of several statements
      // would be wrapped in a transaction.
      for (auto& statement : split_statements(sql.migrations()[v].script))
        co_await run_one(lease, std::move(statement));
      mysql::Params version{static_cast<std::int64_t>(v + 1)};
      co_await run_one(lease, sql["record_migration"], std::move(version));
    }
  } catch (...) {
    failed = std::current_exception();
  }
  try {
    co_await run_one(lease, sql["unlock_migrations"]);
  } catch (const std::exception&) {
    // A lost connection releases the lock by itself.
  }
  if (failed) std::rethrow_exception(failed);
  co_return mysql_schema_version();
}

}  // namespace orderflow::backends
