#pragma once
#include <cstdint>
#include <string>
#include <string_view>

namespace orderflow {

// A UUIDv7 (RFC 9562): 48-bit millisecond timestamp, then random bits; lower-case, hyphenated.
std::string uuid_v7();

// Client-suppliable ids (order_id, product_id): ^[A-Za-z0-9._:-]{1,100}$
bool is_valid_client_id(std::string_view id);

// A uniformly random integer in [0, bound) from a per-thread generator.
std::uint64_t random_below(std::uint64_t bound);

// Lower-case hex SHA-256 of the bytes.
std::string sha256_hex(std::string_view bytes);

// Lower-case hex SHA-1 (what Redis names scripts by; not for anything secret).
std::string sha1_hex(std::string_view bytes);

}  // namespace orderflow
