#include "base/json.hpp"

#include <gtest/gtest.h>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include <cstdint>
#include <limits>
#include <string>

using namespace orderflow;
namespace json = boost::json;

TEST(JsonText, DoublesInTheirShortestPlainForm) {
  EXPECT_EQ(to_json_text(json::value(0.106)), "0.106");
  EXPECT_EQ(to_json_text(json::value(52.8)), "52.8");
  EXPECT_EQ(to_json_text(json::value(3.0)), "3");
  EXPECT_EQ(to_json_text(json::value(std::numeric_limits<double>::infinity())), "null");
}

TEST(JsonText, SameDocumentAsBoostForEverythingElse) {
  const auto doc = json::parse(
      R"({"a":[1,-2,true,null,"x\"y\n"],"b":{"c":"é","d":18446744073709551615},"e":[]})");
  EXPECT_EQ(to_json_text(doc),
            R"({"a":[1,-2,true,null,"x\"y\n"],"b":{"c":"é","d":18446744073709551615},"e":[]})");
  const auto with_double = json::value{{"uptime_s", 12.5}, {"k\"ey", json::array{0.25, 1}}};
  EXPECT_EQ(json::parse(to_json_text(with_double)), with_double);
}

// Strings and integers are written by hand (no temporary per value): byte for byte what Boost's
// serializer writes, every control character, quote and backslash included.
TEST(JsonText, StringsAndIntegersAsBoostWritesThem) {
  std::string every_ascii;
  for (int c = 1; c < 128; ++c) every_ascii += static_cast<char>(c);
  for (const std::string& s : {every_ascii, std::string("a\0b", 3), std::string("\"\\"),
                               std::string("é€😀 plain"), std::string()}) {
    const json::value v(s);
    EXPECT_EQ(to_json_text(v), json::serialize(v)) << s;
  }
  for (const json::value& v :
       {json::value(std::numeric_limits<std::int64_t>::min()),
        json::value(std::numeric_limits<std::int64_t>::max()),
        json::value(std::numeric_limits<std::uint64_t>::max()), json::value(0), json::value(true),
        json::value(false), json::value(nullptr)})
    EXPECT_EQ(to_json_text(v), json::serialize(v));
}

TEST(RequestJson, ReadsWhatBoostReads) {
  for (const char* text : {R"({"a":[1,-2.5,true,null,"x\"y"],"b":{"c":"é","d":1e3}})", "[]", " 0 ",
                           R"("\ud83d\ude00")", R"({"a":{"a":{"a":[]}}})"}) {
    const auto read = parse_request_json(text);
    ASSERT_TRUE(read.value) << text;
    EXPECT_EQ(*read.value, json::parse(text)) << text;
  }
}

TEST(RequestJson, RefusesMalformedTextAndNul) {
  for (const char* text : {"", "{", "[1,]", "{} x", "{\"a\":\"\xff\"}", "\"\\ud800\"", "01"}) {
    const auto read = parse_request_json(text);
    EXPECT_FALSE(read.value) << text;
    EXPECT_EQ(read.error, "malformed JSON") << text;
  }
  // Issue 12: "ab\u0000cd" was stored as "ab" on PostgreSQL.
  for (const char* text : {R"({"name":"ab\u0000cd"})", R"({"ab\u0000":1})"}) {
    const auto read = parse_request_json(text);
    EXPECT_FALSE(read.value) << text;
    EXPECT_NE(read.error.find("NUL"), std::string::npos) << text;
  }
}

TEST(RequestJson, KeepsNumbersAtVerbatimPathsAsWritten) {
  constexpr std::string_view paths[] = {"amount", "items[].unit_price"};
  const auto read =
      parse_request_json(R"({"amount":9999.990,"items":[{"unit_price":1e2,"quantity":2}],"n":1.50,)"
                         R"("shipping_address":{"amount":1.50}})",
                         paths);
  ASSERT_TRUE(read.value);
  const auto& o = read.value->get_object();
  EXPECT_EQ(o.at("amount"), json::value("9999.990"));
  EXPECT_EQ(o.at("items").at(0).at("unit_price"), json::value("1e2"));
  EXPECT_EQ(o.at("items").at(0).at("quantity"), json::value(2));
  EXPECT_EQ(o.at("n"), json::value(1.5));
  EXPECT_EQ(o.at("shipping_address").at("amount"), json::value(1.5));
}
