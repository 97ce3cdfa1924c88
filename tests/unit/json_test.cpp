#include "util/json.hpp"

#include <gtest/gtest.h>

#include <boost/json/parse.hpp>

#include <limits>

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
