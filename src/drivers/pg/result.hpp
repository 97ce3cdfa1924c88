#pragma once
// What goes to PostgreSQL and what comes back: statements with text parameters, and results
// copied out of libpq, read by column name.
#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

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

// A statement's result, copied out of libpq: text values, NULL as nullopt.
struct Result {
  std::vector<std::string> columns;
  std::vector<std::vector<std::optional<std::string>>> rows;
  std::int64_t affected = 0;
  mutable std::size_t next_column_ = 0;  // where column() starts looking

  std::size_t column(std::string_view name) const;
  const std::optional<std::string>& at(std::size_t row, std::string_view name) const;

  class Row row(std::size_t index) const;
  // for (const pg::Row row : result.each_row())
  class RowRange each_row() const;
};

// One row of a Result, its values read by column name, so that no reader depends on the order
// of a SELECT list. An unknown name throws std::out_of_range.
class Row {
 public:
  Row(const Result& result, std::size_t index) : result_(&result), index_(index) {}
  const std::optional<std::string>& operator[](std::string_view column) const {
    return result_->at(index_, column);
  }
  const std::optional<std::string>& optional_text(std::string_view column) const {
    return (*this)[column];
  }
  // A column that is never NULL; NULL throws std::logic_error.
  const std::string& text(std::string_view column) const;
  // NULL reads as 0.
  std::int64_t integer(std::string_view column) const;
  std::optional<std::int64_t> optional_integer(std::string_view column) const;

 private:
  const Result* result_;
  std::size_t index_;
};

class RowRange {
 public:
  struct iterator {
    const Result* result;
    std::size_t index;
    Row operator*() const { return {*result, index}; }
    iterator& operator++() {
      ++index;
      return *this;
    }
    bool operator!=(const iterator& other) const { return index != other.index; }
  };
  explicit RowRange(const Result& result) : result_(&result) {}
  iterator begin() const { return {result_, 0}; }
  iterator end() const { return {result_, result_->rows.size()}; }

 private:
  const Result* result_;
};

inline Row Result::row(std::size_t index) const {
  return {*this, index};
}
inline RowRange Result::each_row() const {
  return RowRange(*this);
}

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
