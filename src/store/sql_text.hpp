#pragma once
#include <cctype>
#include <string>

namespace orderflow::store {

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

}  // namespace orderflow::store
