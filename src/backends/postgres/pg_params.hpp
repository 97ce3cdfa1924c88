#pragma once
// Statement parameters as PostgreSQL takes them (text protocol).
#include <cstdint>
#include <optional>
#include <string>

namespace orderflow::backends {

// An integer as a statement parameter (text protocol), and an optional one (NULL when absent).
inline std::string text_of(std::int64_t n) {
  return std::to_string(n);
}
inline std::optional<std::string> text_of(std::optional<std::int64_t> n) {
  return n ? std::optional<std::string>(std::to_string(*n)) : std::nullopt;
}

}  // namespace orderflow::backends
