#pragma once
// What goes to PostgreSQL and what comes back: statements with text parameters, and results
// copied out of libpq (sqlclient::Result: read by column name).
#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "drivers/sqlclient/text_result.hpp"

struct pg_result;  // libpq's PGresult

namespace orderflow::pg {

using Params = std::vector<std::optional<std::string>>;

// An array literal built element by element, for "= ANY($n::text[])" or a column of
// "unnest($1::text[], $2::bigint[], ...)": every element quoted and escaped, nullopt as NULL.
class ArrayLiteral {
 public:
  ArrayLiteral() : text_("{") {}
  void add(std::string_view item);
  void add(const std::string& item) { add(std::string_view(item)); }
  void add(const std::optional<std::string>& item);
  std::string done() &&;

 private:
  std::string text_;
};

std::string text_array(const std::vector<std::string>& items);

// Rows as one array literal per column, the parameters of
// "SELECT * FROM unnest($1::text[], $2::bigint[], ...)": a batch in one statement.
class ArrayColumns {
 public:
  explicit ArrayColumns(std::size_t columns) : columns_(columns) {}
  void add_row(const Params& row);  // one value per column
  bool empty() const { return rows_ == 0; }
  Params done() &&;

 private:
  std::vector<ArrayLiteral> columns_;
  std::size_t rows_ = 0;
};

// One statement of a request. Statements run as named prepared statements (prepared on first
// use on each connection) unless `prepare` is false (DDL, BEGIN/COMMIT, one-off SQL).
struct Statement {
  std::string sql;
  Params params;
  bool prepare = true;
};

using Result = sqlclient::Result;
using Row = sqlclient::Row;
using RowRange = sqlclient::RowRange;

// Copies a libpq result out. Fuzzed (tests/fuzz): results come from a server.
Result copy_result(const ::pg_result* r);

// The server refused a statement (constraint, syntax...): the connection is fine.
class QueryError : public std::runtime_error {
 public:
  QueryError(std::string sqlstate, const std::string& what)
      : std::runtime_error(what), sqlstate_(std::move(sqlstate)) {}
  const std::string& sqlstate() const { return sqlstate_; }

 private:
  std::string sqlstate_;
};

}  // namespace orderflow::pg
