// Replication positions as the read routers keep them: PostgreSQL's WAL positions and MariaDB's
// GTID lists, parsed from what the primary reports, combined, and written back for the replica.
#include <gtest/gtest.h>

#include "drivers/mysql/replicas.hpp"
#include "drivers/pg/replicas.hpp"

namespace orderflow {
namespace {

TEST(WalPosition, ParsesAndFormats) {
  EXPECT_EQ(pg::parse_lsn("16/B374D848"), (0x16ULL << 32) | 0xB374D848ULL);
  EXPECT_EQ(pg::format_lsn((0x16ULL << 32) | 0xB374D848ULL), "16/B374D848");
  EXPECT_EQ(pg::parse_lsn("0/0"), 0u);
  EXPECT_FALSE(pg::parse_lsn("16B374D848"));
  EXPECT_FALSE(pg::parse_lsn("x/1"));
  EXPECT_FALSE(pg::parse_lsn("/1"));
}

TEST(WalPosition, TheLaterPositionWins) {
  std::uint64_t floor = 0;
  pg::WalReplication::raise(floor, 10);
  pg::WalReplication::raise(floor, 5);
  EXPECT_EQ(floor, 10u);
}

using Gtid = mysql::GtidReplication;

TEST(GtidPosition, ParsesAndFormatsGtidLists) {
  const auto p = Gtid::parse("0-1-42,3-2-7");
  ASSERT_TRUE(p);
  ASSERT_EQ(p->size(), 2u);
  EXPECT_EQ(p->at(0), (Gtid::Gtid{1, 42}));
  EXPECT_EQ(p->at(3), (Gtid::Gtid{2, 7}));
  EXPECT_EQ(Gtid::format(*p), "0-1-42,3-2-7");
  // Nothing written yet: the empty list, which MASTER_GTID_WAIT takes as "no wait".
  ASSERT_TRUE(Gtid::parse(""));
  EXPECT_TRUE(Gtid::parse("")->empty());
  EXPECT_EQ(Gtid::format({}), "");
  EXPECT_EQ(Gtid::format(*Gtid::parse("0-4294967295-18446744073709551615")),
            "0-4294967295-18446744073709551615");
}

TEST(GtidPosition, RefusesWhatIsNotAGtidList) {
  for (const char* text : {"0-1", "0-1-", "-1-2", "0-1-2,", ",0-1-2", "0-1-2,0-1-3", "a-1-2",
                           "0-1-2 ", "0-1-2-3", "0-4294967296-1", "0-1-+2", "0--1-2"})
    EXPECT_FALSE(Gtid::parse(text)) << text;
}

TEST(GtidPosition, TheLaterPositionWinsInEachDomain) {
  auto floor = *Gtid::parse("0-1-10,1-1-5");
  Gtid::raise(floor, *Gtid::parse("0-1-8,1-2-9,2-1-1"));
  EXPECT_EQ(Gtid::format(floor), "0-1-10,1-2-9,2-1-1");
}

}  // namespace
}  // namespace orderflow
