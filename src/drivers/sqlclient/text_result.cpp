#include "drivers/sqlclient/text_result.hpp"

#include <stdexcept>

namespace orderflow::sqlclient {

std::size_t Result::column(std::string_view name) const {
  // Rows are mostly read in the order of their SELECT list: the search starts after the column
  // found last, so such a read compares one name per column.
  const auto n = columns.size();
  for (std::size_t k = 0; k < n; ++k) {
    const auto i = (next_column_ + k) % n;
    if (columns[i] == name) {
      next_column_ = i + 1;
      return i;
    }
  }
  throw std::out_of_range("no column " + std::string(name));
}

const std::optional<std::string>& Result::at(std::size_t row, std::string_view name) const {
  return rows.at(row).at(column(name));
}

const std::string& Row::text(std::string_view column) const {
  const auto& value = (*this)[column];
  if (!value) throw std::logic_error("NULL in column " + std::string(column));
  return *value;
}

std::int64_t Row::integer(std::string_view column) const {
  const auto& value = (*this)[column];
  return value ? std::stoll(*value) : 0;
}

std::optional<std::int64_t> Row::optional_integer(std::string_view column) const {
  const auto& value = (*this)[column];
  return value ? std::optional<std::int64_t>(std::stoll(*value)) : std::nullopt;
}

}  // namespace orderflow::sqlclient
