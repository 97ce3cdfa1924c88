#pragma once
// Rows as PostgreSQL returns them (text protocol), decoded. Fuzzed (tests/fuzz): a malformed
// value throws, nothing else happens.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/domain/catalog.hpp"
#include "core/domain/order.hpp"
#include "drivers/pg/result.hpp"

namespace orderflow::backends {

// An integer as a statement parameter (text protocol), and an optional one (NULL when absent).
inline std::string text_of(std::int64_t n) {
  return std::to_string(n);
}
inline std::optional<std::string> text_of(std::optional<std::int64_t> n) {
  return n ? std::optional<std::string>(std::to_string(*n)) : std::nullopt;
}

// An order's row (the columns of orders), and a product's (products joined with its category's
// name as category_name).
domain::Order order_from_row(const pg::Row& row);
domain::CatalogProduct product_from_row(const pg::Row& row);

}  // namespace orderflow::backends
