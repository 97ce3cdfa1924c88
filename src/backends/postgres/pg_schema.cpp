#include "backends/postgres/pg_schema.hpp"

#include <vector>

#include "drivers/pg/transaction.hpp"

namespace orderflow::backends {

using pg::Statement;

namespace {
// DDL and one-off statements are not worth a prepared statement on every connection.
Statement unprepared(std::string sql, pg::Params params = {}) {
  return Statement{std::move(sql), std::move(params), false};
}
}  // namespace

const SqlFiles& pg_sql() {
  static const SqlFiles files(pg_sql_files());
  return files;
}

int pg_schema_version() {
  return static_cast<int>(pg_sql().migrations().size());
}

boost::asio::awaitable<int> migrate_postgres(pg::Pool& pool) {
  co_return co_await pg::in_transaction<int>(
      pool, [](pg::Pool::Lease& tx) -> boost::asio::awaitable<int> {
        const auto& sql = pg_sql();
        std::vector<Statement> start;
        start.push_back(unprepared(sql["lock_migrations"]));
        start.push_back(unprepared(sql["create_schema_migrations"]));
        start.push_back(unprepared(sql["schema_version"]));
        const auto started = co_await tx.execute(std::move(start));
        const auto current = static_cast<std::size_t>(started.back().row(0).integer("v"));
        std::vector<Statement> apply;
        for (auto v = current; v < sql.migrations().size(); ++v) {
          for (auto& statement : split_statements(sql.migrations()[v].script))
            apply.push_back(unprepared(std::move(statement)));
          apply.push_back(unprepared(sql["record_migration"], {std::to_string(v + 1)}));
        }
        if (!apply.empty()) co_await tx.execute(std::move(apply));
        co_return pg_schema_version();
      });
}

}  // namespace orderflow::backends
