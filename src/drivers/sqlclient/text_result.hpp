#pragma once
// What an SQL server sends back, as text: rows of values (NULL as nullopt) read by column name,
// so that no reader depends on the order of a SELECT list. Shared by the PostgreSQL and MySQL
// clients; backends read rows through backends/sql/rows.hpp.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace orderflow::sqlclient {

// A statement's result: text values, NULL as nullopt.
struct Result {
  std::vector<std::string> columns;
  std::vector<std::vector<std::optional<std::string>>> rows;
  std::int64_t affected = 0;
  mutable std::size_t next_column_ = 0;  // where column() starts looking

  std::size_t column(std::string_view name) const;
  const std::optional<std::string>& at(std::size_t row, std::string_view name) const;

  class Row row(std::size_t index) const;
  // for (const auto row : result.each_row())
  class RowRange each_row() const;
};

// One row of a Result, its values read by column name. An unknown name throws
// std::out_of_range.
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

}  // namespace orderflow::sqlclient
