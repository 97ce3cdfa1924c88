#pragma once
#include <string>
#include <string_view>

namespace orderflow {

// Well-formed UTF-8 (RFC 3629: no overlong forms, no surrogates, nothing above U+10FFFF).
bool is_valid_utf8(std::string_view s);

// Text the service may store and echo: well-formed UTF-8 without NUL (PostgreSQL's text and
// C strings both stop at NUL).
bool is_clean_text(std::string_view s);

// `s` with each ill-formed sequence replaced by U+FFFD, for echoing untrusted bytes into
// JSON bodies and log lines.
std::string to_valid_utf8(std::string_view s);

}  // namespace orderflow
