#include "http/router.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

using namespace orderflow::http;

namespace {
Handler noop() {
  return [](Request&) -> boost::asio::awaitable<Response> { co_return Response{}; };
}

Router make_router() {
  Router r;
  r.add("POST", "/api/orders", noop());
  r.add("GET", "/api/orders", noop());
  r.add("GET", "/api/orders/{id}", noop());
  r.add("DELETE", "/api/orders/{id}", noop());
  r.add("GET", "/api/orders/{id}/events", noop());
  r.add("GET", "/api/orders/my-orders", noop());
  return r;
}
}  // namespace

TEST(Router, MatchesLiteralAndParameterRoutes) {
  auto r = make_router();
  auto m = r.match("GET", "/api/orders/abc-1");
  ASSERT_NE(m.handler, nullptr);
  EXPECT_EQ(m.pattern, "/api/orders/{id}");
  EXPECT_EQ(m.params.at("id"), "abc-1");
  m = r.match("GET", "/api/orders/x/events");
  ASSERT_NE(m.handler, nullptr);
  EXPECT_EQ(m.params.at("id"), "x");
}

TEST(Router, LiteralSegmentsWinOverParameters) {
  auto r = make_router();
  auto m = r.match("GET", "/api/orders/my-orders");
  ASSERT_NE(m.handler, nullptr);
  EXPECT_EQ(m.pattern, "/api/orders/my-orders");
  EXPECT_TRUE(m.params.empty());
}

TEST(Router, UnknownPathIsNotFound) {
  auto r = make_router();
  auto m = r.match("GET", "/nope");
  EXPECT_EQ(m.handler, nullptr);
  EXPECT_TRUE(m.allowed.empty());
  EXPECT_EQ(r.match("GET", "/api/orders/a/b/c").handler, nullptr);
}

TEST(Router, WrongMethodListsTheAllowedOnes) {
  auto r = make_router();
  auto m = r.match("PATCH", "/api/orders/1");
  EXPECT_EQ(m.handler, nullptr);
  EXPECT_THAT(m.allowed, ::testing::UnorderedElementsAre("GET", "DELETE"));
  m = r.match("DELETE", "/api/orders");
  EXPECT_THAT(m.allowed, ::testing::UnorderedElementsAre("GET", "POST"));
}

TEST(Router, IgnoresTrailingAndDoubleSlashes) {
  auto r = make_router();
  EXPECT_NE(r.match("GET", "/api/orders/").handler, nullptr);
  EXPECT_NE(r.match("GET", "/api//orders/7").handler, nullptr);
}
