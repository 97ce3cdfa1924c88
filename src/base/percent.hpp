#pragma once
#include <string>
#include <string_view>

namespace orderflow {

// Percent-encodes every byte but RFC 3986's unreserved characters (A-Z a-z 0-9 - _ . ~) and
// those in `keep`, with upper-case hex: "a b/c" → "a%20b%2Fc" (keep "/": "a%20b/c").
std::string percent_encode(std::string_view text, std::string_view keep = {});

}  // namespace orderflow
