#include "domain/money.hpp"

#include <gtest/gtest.h>
#include <boost/json/parse.hpp>

using namespace orderflow::domain;
namespace json = boost::json;

TEST(Money, ParsesNumbersAndStrings) {
  EXPECT_EQ(parse_money(json::parse("100")), 10000);
  EXPECT_EQ(parse_money(json::parse("100.5")), 10050);
  EXPECT_EQ(parse_money(json::parse("19.99")), 1999);
  EXPECT_EQ(parse_money(json::parse("0.01")), 1);
  EXPECT_EQ(parse_money(json::parse("\"3.50\"")), 350);
  EXPECT_EQ(parse_money(json::parse("\"7\"")), 700);
  EXPECT_EQ(parse_money(json::parse("10000000000")), kMaxAmountCents);
  EXPECT_EQ(parse_money(json::parse("\"10000000000.00\"")), kMaxAmountCents);
}

TEST(Money, RejectsWhatTheContractForbids) {
  for (const char* bad :
       {"-1", "1.234", "\"1.234\"", "\"-1\"", "\"1e3\"", "\"\"", "\"1.\"", "\".5\"",
        "10000000000.01", "\"10000000001\"", "true", "null", "[1]", "\" 1\""})
    EXPECT_FALSE(parse_money(json::parse(bad))) << bad;
}

TEST(Money, FormatsWithTwoDecimals) {
  EXPECT_EQ(format_money(0), "0.00");
  EXPECT_EQ(format_money(5), "0.05");
  EXPECT_EQ(format_money(10800), "108.00");
  EXPECT_EQ(format_money(kMaxAmountCents), "10000000000.00");
}

TEST(Money, TaxRoundsHalfUpToTheCent) {
  const auto rate = *Rate::parse("0.08");
  EXPECT_EQ(apply_rate(10000, rate), 800);
  EXPECT_EQ(apply_rate(1, rate), 0);       // 0.08 cent
  EXPECT_EQ(apply_rate(7, rate), 1);       // 0.56 cent rounds up
  EXPECT_EQ(apply_rate(1999, rate), 160);  // 159.92
  const auto half = *Rate::parse("0.5");
  EXPECT_EQ(apply_rate(1, half), 1);  // exactly half a cent rounds up
  EXPECT_EQ(apply_rate(3, half), 2);
  // No overflow at the largest possible subtotal (100 lines × 1000 × max price).
  EXPECT_EQ(apply_rate(kMaxAmountCents * 100'000, *Rate::parse("1")), kMaxAmountCents * 100'000);
}

TEST(Money, RateParsing) {
  EXPECT_EQ(Rate::parse("0.08")->millionths, 80'000);
  EXPECT_EQ(Rate::parse("0")->millionths, 0);
  EXPECT_EQ(Rate::parse("0.123456")->millionths, 123'456);
  EXPECT_FALSE(Rate::parse("0.1234567"));
  EXPECT_FALSE(Rate::parse("-0.1"));
  EXPECT_FALSE(Rate::parse("abc"));
}
