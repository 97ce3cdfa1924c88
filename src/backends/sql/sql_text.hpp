#pragma once
#include <cctype>
#include <string>
#include <string_view>

#include "core/domain/catalog.hpp"
#include "core/domain/processing.hpp"

namespace orderflow::backends {

inline std::string_view intake_state_name(domain::IntakeState s) {
  switch (s) {
    case domain::IntakeState::applied:
      return "applied";
    case domain::IntakeState::deleted:
      return "deleted";
    default:
      return "queued";
  }
}

// The ORDER BY of a product list (the product id breaks ties); `name_key` is how the dialect
// compares names without case.
inline std::string product_order_by(domain::ProductSort sort, std::string_view name_key) {
  std::string key(name_key);
  switch (sort) {
    case domain::ProductSort::name_desc:
      return key + " DESC, p.product_id";
    case domain::ProductSort::price:
      return "p.price ASC, p.product_id";
    case domain::ProductSort::price_desc:
      return "p.price DESC, p.product_id";
    case domain::ProductSort::newest:
      return "p.created_at DESC, p.product_id";
    case domain::ProductSort::name:
      break;
  }
  return key + " ASC, p.product_id";
}

// A LIKE pattern for a case-insensitive substring match against lower(column); %, _ and the
// escape character \ in the text match themselves.
inline std::string like_pattern(const std::string& text) {
  std::string out = "%";
  for (char ch : text) {
    if (ch == '%' || ch == '_' || ch == '\\') out.push_back('\\');
    out.push_back(static_cast<char>(std::tolower(static_cast<unsigned char>(ch))));
  }
  return out + "%";
}

}  // namespace orderflow::backends
