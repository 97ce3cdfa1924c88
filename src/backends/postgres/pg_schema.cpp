#include "backends/postgres/pg_schema.hpp"

#include <vector>

namespace orderflow::backends {

using pg::QueryError;
using pg::Statement;

namespace asio = boost::asio;

namespace {

// Serialises migrations across processes ("orderflow" in ASCII).
constexpr const char* kMigrationLock = "SELECT pg_advisory_xact_lock(7021800207081650295)";

Statement plain(std::string sql) {
  return Statement{std::move(sql), {}, false};
}

}  // namespace

const SqlFiles& pg_sql() {
  static const SqlFiles files(pg_sql_files());
  return files;
}

int pg_schema_version() {
  return static_cast<int>(pg_sql().migrations().size());
}

asio::awaitable<int> migrate_postgres(pg::Pool& pool) {
  auto lease = co_await pool.lease();
  std::vector<Statement> start;
  start.push_back(plain("BEGIN"));
  start.push_back(plain(kMigrationLock));
  start.push_back(
      plain("CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, "
            "applied_at TIMESTAMPTZ NOT NULL DEFAULT now())"));
  start.push_back(plain("SELECT COALESCE(MAX(version), 0) AS v FROM schema_migrations"));
  const auto started = co_await lease.execute(std::move(start));
  const int current = std::stoi(*started.back().at(0, "v"));
  std::vector<Statement> apply;
  for (int v = current; v < pg_schema_version(); ++v) {
    for (auto& sql : split_statements(pg_sql().migrations()[static_cast<std::size_t>(v)].script))
      apply.push_back(plain(std::move(sql)));
    apply.push_back(
        plain("INSERT INTO schema_migrations(version) VALUES (" + std::to_string(v + 1) + ")"));
  }
  apply.push_back(plain("COMMIT"));
  std::exception_ptr failed;
  try {
    co_await lease.execute(std::move(apply));
  } catch (const QueryError&) {
    failed = std::current_exception();
  }
  if (failed) {
    // The explicit transaction is still open, in an aborted state: end it before the
    // connection goes back to the pool.
    std::vector<Statement> rollback;
    rollback.push_back(plain("ROLLBACK"));
    co_await lease.execute(std::move(rollback));
    std::rethrow_exception(failed);
  }
  co_return pg_schema_version();
}

}  // namespace orderflow::backends
