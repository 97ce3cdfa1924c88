#pragma once
// How MySQL's statements take values, for the SQL shared by the SQL backends (backends/sql):
// positional "?" (each stands once), integers as integers, id lists as "IN (?, ?, …)".
#include "backends/mysql/mysql_schema.hpp"
#include "backends/mysql/mysql_sql_text.hpp"
#include "backends/sql/sql_list_query.hpp"
#include "drivers/mysql/connection.hpp"

namespace orderflow::backends {

struct MysqlDialect {
  using Statement = mysql::Statement;
  using QueryError = mysql::QueryError;
  static constexpr const char* kName = "mysql";
  static const SqlFiles& sql() { return mysql_sql(); }
  static constexpr bool kNumbered = false;
  static std::string placeholder(std::size_t) { return "?"; }
  static mysql::Param value(const std::string& text) { return text; }
  static mysql::Param value(std::int64_t n) { return n; }
  static mysql::Param value(const std::optional<std::string>& text) { return text; }
  static mysql::Param value(std::optional<std::int64_t> n) { return n; }
  // `sql` has an "IN ({ids})" slot: one placeholder per id.
  static Statement with_ids(const std::string& sql, const std::vector<std::string>& ids) {
    Statement s{with_slot(sql, "ids", repeated("?", std::max<std::size_t>(ids.size(), 1))), {}};
    for (const auto& id : ids) s.params.push_back(id);
    if (ids.empty()) s.params.push_back(std::nullopt);  // "IN (NULL)": matches nothing
    return s;
  }
  static bool duplicate(const QueryError& e) { return e.code() == 1062; }
  // A foreign key's parent row missing.
  static bool missing_reference(const QueryError& e) { return e.code() == 1452; }
};

using MysqlListQuery = SqlListQuery<mysql::Statement, MysqlDialect>;

}  // namespace orderflow::backends
