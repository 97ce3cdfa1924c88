#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace orderflow {

// Milliseconds since the Unix epoch, wall clock.
std::int64_t now_ms();

// RFC 3339 UTC with milliseconds: "2026-11-22T10:00:00.123Z".
std::string format_rfc3339(std::int64_t epoch_ms);

// Parses RFC 3339 timestamps with an optional fraction and a "Z" or "+hh:mm" offset.
std::optional<std::int64_t> parse_rfc3339(std::string_view text);

}  // namespace orderflow
