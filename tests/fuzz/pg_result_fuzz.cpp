// PostgreSQL results: a libpq result built from the input (its cells separated by '\x1f',
// '\x1e' for NULL; the NOT NULL columns of the schema always hold text), copied out by
// pg::copy_result and decoded as order and product rows. A malformed value may throw; nothing
// may crash.
#include <libpq-fe.h>

#include <array>

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "backends/sql/rows.hpp"
#include "drivers/pg/connection.hpp"

using namespace orderflow;

namespace {
// An order row's columns, in the order of the orders table.
constexpr std::array<const char*, 18> kOrderNames = {
    "order_id",       "status",           "customer_id",
    "customer_name",  "customer_email",   "currency",
    "items",          "subtotal",         "tax",
    "total",          "failure_reason",   "session_id",
    "payment_method", "shipping_address", "created_at",
    "updated_at",     "processed_at",     "version"};
constexpr int kOrderColumns = static_cast<int>(kOrderNames.size());
constexpr std::array<const char*, 11> kProductNames = {
    "product_id",    "sku",   "name",     "description", "price",     "category",
    "category_name", "stock", "reserved", "created_at",  "updated_at"};
// Nullable order columns: customer_id, customer_name, customer_email, failure_reason,
// session_id, processed_at.
bool nullable(int column) {
  return column == 2 || column == 3 || column == 4 || column == 10 || column == 11 || column == 16;
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::vector<std::string_view> cells;
  std::string_view input(reinterpret_cast<const char*>(data), size);
  while (cells.size() < kOrderColumns) {
    const auto end = input.find('\x1f');
    cells.push_back(input.substr(0, end));
    if (end == std::string_view::npos) break;
    input.remove_prefix(end + 1);
  }
  cells.resize(kOrderColumns);
  PGresult* result = PQmakeEmptyPGresult(nullptr, PGRES_TUPLES_OK);
  std::vector<PGresAttDesc> attrs(kOrderColumns);
  std::vector<std::string> names(kOrderNames.begin(), kOrderNames.end());  // PQ wants char*
  for (int c = 0; c < kOrderColumns; ++c) {
    attrs[c] = {};
    attrs[c].name = names[c].data();
    attrs[c].typid = 25;  // text
    attrs[c].typlen = -1;
  }
  PQsetResultAttrs(result, kOrderColumns, attrs.data());
  std::vector<std::string> values(cells.begin(), cells.end());  // data() never null
  for (int c = 0; c < kOrderColumns; ++c) {
    const bool null = nullable(c) && values[c] == "\x1e";
    PQsetvalue(result, 0, c, null ? nullptr : values[c].data(),
               null ? -1 : static_cast<int>(values[c].size()));
  }
  const auto copied = pg::copy_result(result);
  PQclear(result);
  if (copied.rows.size() != 1 || copied.rows[0].size() != kOrderColumns) __builtin_trap();
  try {
    (void)backends::order_from_row(copied.row(0));
  } catch (const std::exception&) {
  }
  // The first 11 cells as a product row (every column NOT NULL).
  pg::Result product;
  product.columns.assign(kProductNames.begin(), kProductNames.end());
  product.rows.emplace_back();
  for (std::size_t c = 0; c < kProductNames.size(); ++c)
    product.rows[0].emplace_back(std::string(cells[c]));
  try {
    (void)backends::product_from_row(product.row(0));
  } catch (const std::exception&) {
  }
  return 0;
}
