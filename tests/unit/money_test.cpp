#include "core/domain/money.hpp"

#include <gtest/gtest.h>

#include <boost/json/parse.hpp>

#include <limits>

#include "base/json.hpp"

using namespace orderflow::domain;
namespace json = boost::json;

// Money numbers as the request reader hands them over: their text.
json::value money_field(std::string_view number) {
  const auto body = "{\"amount\":" + std::string(number) + "}";
  return orderflow::parse_request_json(body, kMoneyFields).value->at("amount");
}

TEST(Money, ParsesNumbersAndStrings) {
  EXPECT_EQ(parse_money(money_field("100")), 10000);
  EXPECT_EQ(parse_money(money_field("100.5")), 10050);
  EXPECT_EQ(parse_money(money_field("19.99")), 1999);
  EXPECT_EQ(parse_money(money_field("0.01")), 1);
  EXPECT_EQ(parse_money(json::parse("100")), 10000);
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

// A number is refused exactly when the same digits as a string are (issue 12: 9999.999 was
// rounded to 10000.00, and 10000000000.004 passed the upper limit).
TEST(Money, ANumberIsJudgedByItsDigitsAsWritten) {
  for (const char* text :
       {"9999.999", "10000000000.004", "10.000", "9999.9900000000000001", "1e2", "1.5E1", "-0",
        "-0.0", "0.10", "100.0", "10000000000.00", "10000000000.01", "0", "7"}) {
    const auto as_number = parse_money(money_field(text));
    const auto as_string = parse_money(json::value(text));
    EXPECT_EQ(as_number, as_string) << text;
  }
  EXPECT_FALSE(parse_money(money_field("9999.999")));
  EXPECT_EQ(parse_money(money_field("0.10")), 10);
  // Without its text a fractional number is refused rather than guessed.
  EXPECT_FALSE(parse_money(json::value(19.99)));
}

TEST(Money, FormatsWithTwoDecimals) {
  EXPECT_EQ(format_money(0), "0.00");
  EXPECT_EQ(format_money(5), "0.05");
  EXPECT_EQ(format_money(10800), "108.00");
  EXPECT_EQ(format_money(kMaxAmountCents), "10000000000.00");
  EXPECT_EQ(format_money(-5), "-0.05");
  EXPECT_EQ(format_money(-123456), "-1234.56");
  EXPECT_EQ(format_money(std::numeric_limits<Cents>::min()), "-92233720368547758.08");
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
