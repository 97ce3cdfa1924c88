#pragma once
// Rows as PostgreSQL returns them (text protocol), decoded. Fuzzed (tests/fuzz): a malformed
// value throws, nothing else happens.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/domain/catalog.hpp"
#include "core/domain/order.hpp"

namespace orderflow::store {

using Row = std::vector<std::optional<std::string>>;

// An integer column; NULL reads as 0.
std::int64_t int_of(const std::optional<std::string>& text);
std::optional<std::int64_t> optional_int_of(const std::optional<std::string>& text);

// A row of kOrderColumns, and one of kProductColumns (store/sql_text.hpp), in their order.
domain::Order order_from_row(const Row& row);
domain::CatalogProduct product_from_row(const Row& row);

}  // namespace orderflow::store
