// MySQL URLs and statements rendered with their values (no server: the escape is a stand-in).
#include <gtest/gtest.h>

#include "drivers/mysql/conninfo.hpp"
#include "drivers/mysql/statement.hpp"

namespace orderflow::mysql {
namespace {

TEST(MysqlUrl, ReadsEveryPart) {
  const auto info = parse_url(
      "mysql://shop:p%40ss@db.internal:3307/orders?ssl-mode=verify_ca&ssl-ca=/etc/ca.pem");
  EXPECT_EQ(info.host, "db.internal");
  EXPECT_EQ(info.port, 3307);
  EXPECT_EQ(info.user, "shop");
  EXPECT_EQ(info.password, "p@ss");
  EXPECT_EQ(info.database, "orders");
  EXPECT_EQ(info.ssl_mode, SslMode::verify_ca);
  EXPECT_EQ(info.ssl_ca, "/etc/ca.pem");
  EXPECT_EQ(describe(info), "db.internal:3307/orders");
}

TEST(MysqlUrl, DefaultsAndTheMariadbScheme) {
  const auto info = parse_url("mariadb://root@localhost/shop");
  EXPECT_EQ(info.port, 3306);
  EXPECT_EQ(info.password, "");
  EXPECT_EQ(info.ssl_mode, SslMode::preferred);
  EXPECT_TRUE(is_mysql_url("mariadb://x/y"));
  EXPECT_FALSE(is_mysql_url("postgresql://x/y"));
}

TEST(MysqlUrl, RefusesWhatItCannotUseWithoutShowingThePassword) {
  for (const char* bad :
       {"postgresql://u@h/db", "mysql://u:secret@h/", "mysql://u:secret@h/a/b",
        "mysql://u:secret@h:0/db", "mysql://u:secret@h:99999/db",
        "mysql://u:secret@h/db?ssl-mode=sometimes", "mysql://u:secret@h/db?x=1"}) {
    try {
      parse_url(bad);
      ADD_FAILURE() << bad << " was accepted";
    } catch (const std::invalid_argument& e) {
      EXPECT_EQ(std::string(e.what()).find("secret"), std::string::npos) << e.what();
    }
  }
}

std::string rendered(const Statement& s) {
  std::string out;
  render(out, s, [](std::string& to, std::string_view text) {
    for (char c : text) {
      if (c == '\'' || c == '\\') to += '\\';
      to += c;
    }
  });
  return out;
}

TEST(MysqlStatement, PutsEachValueInItsPlaceholder) {
  EXPECT_EQ(rendered({"SELECT ? + ?, ?, ?", {41, std::int64_t{-1}, std::nullopt, "it's"}}),
            "SELECT 41 + -1, NULL, 'it\\'s'");
  EXPECT_EQ(rendered({"SELECT ?", {std::optional<std::int64_t>{}}}), "SELECT NULL");
  EXPECT_EQ(rendered({"SELECT ?", {std::optional<std::string>{"x"}}}), "SELECT 'x'");
}

TEST(MysqlStatement, LeavesQuestionMarksInLiteralsAndCommentsAlone) {
  EXPECT_EQ(rendered({"SELECT '?', \"?\", `a?`, 'it\\'s ?', ? -- why?\n", {1}}),
            "SELECT '?', \"?\", `a?`, 'it\\'s ?', 1 -- why?\n");
}

TEST(MysqlStatement, KeepsAdjacentLiteralsApart) {
  // '' followed by 'x' would read as one literal holding a quote.
  EXPECT_EQ(rendered({"SELECT ??", {"", "x"}}), "SELECT '' 'x'");
}

TEST(MysqlStatement, RefusesAValueCountThatDoesNotMatch) {
  EXPECT_THROW(rendered({"SELECT ?, ?", {1}}), std::logic_error);
  EXPECT_THROW(rendered({"SELECT 1", {1}}), std::logic_error);
}

}  // namespace
}  // namespace orderflow::mysql
