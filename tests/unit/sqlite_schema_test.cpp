// An embedded install's file migrates forward: a database an older release left at version 1
// opens at the newest version with its rows kept.
#include <gtest/gtest.h>

#include "../conformance/backends.hpp"

namespace orderflow::testing {
namespace {

TEST(SqliteSchema, AFileAtAnOlderVersionMigratesForwardAndKeepsItsRows) {
  ScratchDir dir;
  const auto path = dir.file("old.db");
  {
    sqlite::Connection old(path);
    old.exec_script(std::string(backends::sqlite_sql().migrations().at(0).script));
    old.exec_script(
        "INSERT INTO products(product_id, sku, name, price, stock, created_at, updated_at) "
        "VALUES ('p1', 'SKU-1', 'Kept', 100, 5, 1, 1); PRAGMA user_version = 1");
  }
  sqlite::Database db(migrated_file(path, 1));
  sqlite::Connection check(path);
  auto version = check.query("PRAGMA user_version");
  version.next();
  EXPECT_EQ(version.integer(0),
            static_cast<std::int64_t>(backends::sqlite_sql().migrations().size()));
  auto kept = check.query("SELECT name FROM products WHERE product_id = 'p1'");
  ASSERT_TRUE(kept.next());
  EXPECT_EQ(kept.text(0), "Kept");
  // Version 2's tables exist.
  check.exec_script("INSERT INTO carts(session_id, updated_at) VALUES ('s', 1)");
}

}  // namespace
}  // namespace orderflow::testing
