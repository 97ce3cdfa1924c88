#include "backends/sqlite/sqlite_schema.hpp"

#include <string>

namespace orderflow::backends {

const SqlFiles& sqlite_sql() {
  static const SqlFiles files(sqlite_sql_files());
  return files;
}

void migrate_sqlite(sqlite::Connection& c) {
  const auto& migrations = sqlite_sql().migrations();
  c.exec_script("BEGIN IMMEDIATE");
  try {
    auto cur = c.query("PRAGMA user_version");
    cur.next();
    const auto version = static_cast<std::size_t>(cur.integer(0));
    for (std::size_t v = version; v < migrations.size(); ++v)
      c.exec_script(std::string(migrations[v].script));
    c.exec_script("PRAGMA user_version = " + std::to_string(migrations.size()));
    c.exec_script("COMMIT");
  } catch (...) {
    c.exec_script("ROLLBACK");
    throw;
  }
}

}  // namespace orderflow::backends
