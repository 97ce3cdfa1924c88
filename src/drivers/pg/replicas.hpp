#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "drivers/pg/pool.hpp"
#include "drivers/sqlclient/read_router.hpp"

namespace orderflow::pg {

// "16/B374D848" → its 64-bit position; nullopt when it is not an LSN.
std::optional<std::uint64_t> parse_lsn(std::string_view text);
std::string format_lsn(std::uint64_t lsn);

// PostgreSQL's streaming replication: positions are WAL positions (LSNs).
struct WalReplication {
  using Position = std::uint64_t;
  static constexpr const char* kCurrent = "SELECT pg_current_wal_lsn()::text";
  // True on a replica that has replayed the WAL up to $1; false on one behind, or on a server
  // that is not a replica at all.
  static constexpr const char* kReplayedUpTo =
      "SELECT COALESCE(pg_last_wal_replay_lsn() >= $1::pg_lsn, false)";
  static bool replayed(const std::optional<std::string>& cell) { return cell == "t"; }
  static std::optional<Position> parse(std::string_view text) { return parse_lsn(text); }
  static void raise(Position& floor, Position seen) { floor = std::max(floor, seen); }
  static std::string format(Position p) { return format_lsn(p); }
  static std::string name_of(const std::string& url);
};

using ReplicaStatus = sqlclient::ReplicaStatus;
using ReadStats = sqlclient::ReadStats;
using ReadRouter = sqlclient::ReadRouter<Pool, WalReplication>;

}  // namespace orderflow::pg
