// The .sql file layout every SQL backend uses: named statements, numbered migrations, and the
// embedded sets of the SQLite and PostgreSQL backends.
#include "backends/sql/sql_files.hpp"

#include <gtest/gtest.h>

#include <array>

#include "backends/postgres/pg_schema.hpp"
#include "backends/sqlite/sqlite_schema.hpp"

namespace orderflow::backends {
namespace {

TEST(SqlFiles, ReadsNamedStatementsAndOrdersMigrations) {
  const std::array<EmbeddedFile, 3> files{{
      {"migrations/002_more.sql", "ALTER TABLE t ADD COLUMN b INT;\n"},
      {"orders.sql",
       "-- Orders.\n-- name: one\nSELECT 1\n  FROM t;\n\n-- Why two.\n-- name: two\nSELECT 2\n"},
      {"migrations/001_first.sql", "CREATE TABLE t (a INT);\n"},
  }};
  const SqlFiles sql(files);
  EXPECT_EQ(sql["one"], "SELECT 1\n  FROM t;");
  EXPECT_EQ(sql["two"], "SELECT 2");
  EXPECT_THROW(sql["three"], std::logic_error);
  ASSERT_EQ(sql.migrations().size(), 2u);
  EXPECT_EQ(sql.migrations()[0].name, "001_first.sql");
  EXPECT_EQ(sql.migrations()[1].version, 2);
}

TEST(SqlFiles, RefusesAGapInMigrationsAndANameUsedTwice) {
  const std::array<EmbeddedFile, 1> gap{{{"migrations/002_more.sql", "SELECT 1;"}}};
  EXPECT_THROW(SqlFiles{gap}, std::logic_error);
  const std::array<EmbeddedFile, 2> twice{
      {{"a.sql", "-- name: x\nSELECT 1\n"}, {"b.sql", "-- name: x\nSELECT 2\n"}}};
  EXPECT_THROW(SqlFiles{twice}, std::logic_error);
  const std::array<EmbeddedFile, 1> unnamed{{{"a.sql", "SELECT 1\n"}}};
  EXPECT_THROW(SqlFiles{unnamed}, std::logic_error);
}

TEST(SqlFiles, SplitsAScriptAtTheSemicolonsThatEndLines) {
  EXPECT_EQ(split_statements("-- why\nCREATE TABLE t (\n  a TEXT DEFAULT ';'\n);\n"
                             "CREATE INDEX i ON t(a);\n\n"),
            (std::vector<std::string>{"CREATE TABLE t (\n  a TEXT DEFAULT ';'\n)",
                                      "CREATE INDEX i ON t(a)"}));
}

TEST(SqlFiles, EachBackendsEmbeddedSetIsWellFormed) {
  EXPECT_EQ(sqlite_sql().migrations().size(), 2u);
  EXPECT_EQ(pg_schema_version(), 4);
}

}  // namespace
}  // namespace orderflow::backends
