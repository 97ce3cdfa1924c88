#pragma once
// How PostgreSQL's statements take values, for the SQL shared by the SQL backends
// (backends/sql): numbered text parameters ("$1" may stand twice), id lists as one array.
#include "backends/postgres/pg_params.hpp"
#include "backends/postgres/pg_schema.hpp"
#include "backends/sql/sql_list_query.hpp"
#include "drivers/pg/connection.hpp"

namespace orderflow::backends {

struct PgDialect {
  using Statement = pg::Statement;
  using QueryError = pg::QueryError;
  static constexpr const char* kName = "postgres";
  static const SqlFiles& sql() { return pg_sql(); }
  static constexpr bool kNumbered = true;
  static std::string placeholder(std::size_t n) { return "$" + std::to_string(n); }
  static std::string value(const std::string& text) { return text; }
  static std::string value(std::int64_t n) { return text_of(n); }
  static std::optional<std::string> value(const std::optional<std::string>& text) { return text; }
  static std::optional<std::string> value(std::optional<std::int64_t> n) { return text_of(n); }
  // `sql` compares a column with "= ANY($1::text[])": the ids as one array parameter.
  static Statement with_ids(const std::string& sql, const std::vector<std::string>& ids) {
    return {sql, {pg::text_array(ids)}};
  }
  static bool duplicate(const QueryError& e) { return e.sqlstate() == "23505"; }
  static bool missing_reference(const QueryError& e) { return e.sqlstate() == "23503"; }
};

using PgListQuery = SqlListQuery<pg::Statement, PgDialect>;

}  // namespace orderflow::backends
