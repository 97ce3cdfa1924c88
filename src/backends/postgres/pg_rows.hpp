#pragma once
// Rows as PostgreSQL returns them (text protocol), decoded. Fuzzed (tests/fuzz): a malformed
// value throws, nothing else happens.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/domain/catalog.hpp"
#include "core/domain/order.hpp"

namespace orderflow::backends {

using Row = std::vector<std::optional<std::string>>;

// An integer as a statement parameter (text protocol), and an optional one (NULL when absent).
inline std::string text_of(std::int64_t n) {
  return std::to_string(n);
}
inline std::optional<std::string> text_of(std::optional<std::int64_t> n) {
  return n ? std::optional<std::string>(std::to_string(*n)) : std::nullopt;
}

// An integer column; NULL reads as 0.
std::int64_t int_of(const std::optional<std::string>& text);
std::optional<std::int64_t> optional_int_of(const std::optional<std::string>& text);

// A row of kOrderColumns, and one of kProductSelect (backends/sql/sql_text.hpp), in their order.
domain::Order order_from_row(const Row& row);
domain::CatalogProduct product_from_row(const Row& row);

}  // namespace orderflow::backends
