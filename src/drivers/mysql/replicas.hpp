#pragma once
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>

#include "drivers/mysql/pool.hpp"
#include "drivers/sqlclient/read_router.hpp"

namespace orderflow::mysql {

// MariaDB's GTID replication: a position is a GTID list, "domain-server-sequence" for each
// replication domain ("0-1-42,1-3-7"), as @@gtid_binlog_pos shows it. Within a domain the
// sequence numbers only grow, so the later of two positions takes each domain's higher one.
struct GtidReplication {
  struct Gtid {
    std::uint32_t server = 0;
    std::uint64_t sequence = 0;
    bool operator==(const Gtid&) const = default;
  };
  using Position = std::map<std::uint32_t, Gtid>;  // by domain
  static constexpr const char* kCurrent = "SELECT @@GLOBAL.gtid_binlog_pos";
  // 0 once the replica has applied every domain's GTID (at once for ""); -1 while it has not
  // (a timeout of 0: it does not wait), also on a server that replicates nothing.
  static constexpr const char* kReplayedUpTo = "SELECT MASTER_GTID_WAIT(?, 0)";
  static bool replayed(const std::optional<std::string>& cell) { return cell == "0"; }
  // nullopt when `text` is not a GTID list ("" is: the position before any write).
  static std::optional<Position> parse(std::string_view text);
  static void raise(Position& floor, const Position& seen);
  static std::string format(const Position& p);
  static std::string name_of(const std::string& url);
};

using ReplicaStatus = sqlclient::ReplicaStatus;
using ReadStats = sqlclient::ReadStats;
using ReadRouter = sqlclient::ReadRouter<Pool, GtidReplication>;

}  // namespace orderflow::mysql
