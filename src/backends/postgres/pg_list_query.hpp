#pragma once
#include "backends/postgres/pg_params.hpp"
#include "backends/sql/sql_list_query.hpp"
#include "drivers/pg/result.hpp"

namespace orderflow::backends {

// PostgreSQL's parameters: numbered ("$1" may stand twice), all text.
struct PgDialect {
  static constexpr bool kNumbered = true;
  static std::string placeholder(std::size_t n) { return "$" + std::to_string(n); }
  static std::string value(const std::string& text) { return text; }
  static std::string value(std::int64_t n) { return text_of(n); }
};

using PgListQuery = SqlListQuery<pg::Statement, PgDialect>;

}  // namespace orderflow::backends
