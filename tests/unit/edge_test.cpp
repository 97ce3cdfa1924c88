// The pure pieces of the HTTP edge: UTF-8 checks, the rate limiter, the client's identity
// behind proxies.
#include <gtest/gtest.h>

#include "base/utf8.hpp"
#include "http/client_address.hpp"
#include "http/rate_limiter.hpp"

using namespace orderflow;
using namespace std::chrono_literals;

TEST(Utf8, AcceptsWellFormedTextOnly) {
  EXPECT_TRUE(is_valid_utf8(""));
  EXPECT_TRUE(is_valid_utf8("plain ascii"));
  EXPECT_TRUE(is_valid_utf8("é € 😀 \xF4\x8F\xBF\xBF"));  // U+10FFFF is the last one
  for (const char* bad : {"\xff", "\xC0\xAF", "\xE0\x80\xAF", "\xED\xA0\x80", "\xF4\x90\x80\x80",
                          "\xE2\x82", "ab\x80", "\xF0\x9F\x98"})
    EXPECT_FALSE(is_valid_utf8(bad)) << bad;
}

TEST(Utf8, CleanTextHasNoNul) {
  EXPECT_TRUE(is_clean_text("ab"));
  EXPECT_FALSE(is_clean_text(std::string_view("a\0b", 3)));
}

TEST(Utf8, ReplacesEachIllFormedByte) {
  EXPECT_EQ(to_valid_utf8("a\xff"
                          "b"),
            "a\xEF\xBF\xBD"
            "b");
  EXPECT_EQ(to_valid_utf8("é"), "é");
  EXPECT_TRUE(is_valid_utf8(to_valid_utf8("\xE2\x82\xF0\x9F\x98\xC0")));
}

TEST(RateLimiter, AllowsTheBurstThenTheRate) {
  http::RateLimiter limiter(10, 5);
  const auto t0 = http::RateLimiter::Clock::now();
  for (int i = 0; i < 5; ++i) EXPECT_FALSE(limiter.acquire("a", t0)) << i;
  const auto wait = limiter.acquire("a", t0);
  ASSERT_TRUE(wait);
  EXPECT_EQ(*wait, 100ms);
  EXPECT_FALSE(limiter.acquire("b", t0)) << "clients have buckets of their own";
  EXPECT_FALSE(limiter.acquire("a", t0 + 100ms));
  EXPECT_TRUE(limiter.acquire("a", t0 + 100ms));
  for (int i = 0; i < 5; ++i) EXPECT_FALSE(limiter.acquire("a", t0 + 10s)) << "refilled";
}

TEST(RateLimiter, ForgetsRefilledClientsToStayBounded) {
  http::RateLimiter limiter(1000, 1, 160);
  const auto t0 = http::RateLimiter::Clock::now();
  for (int i = 0; i < 100'000; ++i) limiter.acquire(std::to_string(i), t0 + i * 1ms);
  EXPECT_LE(limiter.clients(), 160u);
  // Every client active at once: still bounded.
  for (int i = 0; i < 10'000; ++i) limiter.acquire(std::to_string(i), t0);
  EXPECT_LE(limiter.clients(), 160u);
}

http::Request from(std::string peer, bool loopback,
                   std::vector<std::pair<std::string, std::string>> headers = {}) {
  http::Request r;
  r.peer = std::move(peer);
  r.peer_is_loopback = loopback;
  for (auto& [k, v] : headers) r.headers.emplace(k, v);
  return r;
}

TEST(ClientAddress, WithoutTrustedProxiesThePeerIsTheClient) {
  const auto none = http::TrustedProxies::parse({});
  auto direct = from("127.0.0.1", true);
  http::identify_client(direct, none);
  EXPECT_EQ(direct.client, "127.0.0.1");
  EXPECT_TRUE(direct.client_is_local);
  // Issue 12: through nginx on this machine, a remote client looked local.
  auto proxied = from("127.0.0.1", true, {{"X-Forwarded-For", "203.0.113.9"}});
  http::identify_client(proxied, none);
  EXPECT_EQ(proxied.client, "127.0.0.1") << "an untrusted header names nobody";
  EXPECT_FALSE(proxied.client_is_local);
  for (const char* header : {"Forwarded", "X-Real-IP"}) {
    auto r = from("127.0.0.1", true, {{header, "for=203.0.113.9"}});
    http::identify_client(r, none);
    EXPECT_FALSE(r.client_is_local) << header;
  }
  auto remote = from("203.0.113.9", false);
  http::identify_client(remote, none);
  EXPECT_FALSE(remote.client_is_local);
}

TEST(ClientAddress, BehindATrustedProxyTheEntryItAddedIsTheClient) {
  const auto proxies = http::TrustedProxies::parse({"127.0.0.1", "10.0.0.0/8", "fd00::/8"});
  EXPECT_TRUE(proxies.contains("10.1.2.3"));
  EXPECT_TRUE(proxies.contains("::ffff:127.0.0.1"));
  EXPECT_TRUE(proxies.contains("fd12::1"));
  EXPECT_FALSE(proxies.contains("11.0.0.1"));
  EXPECT_FALSE(proxies.contains("not an address"));
  // The client wrote the first entry itself; the proxies appended the rest.
  auto r = from("127.0.0.1", true,
                {{"X-Forwarded-For", "1.1.1.1, 198.51.100.7"}, {"X-Forwarded-For", "10.0.0.5"}});
  http::identify_client(r, proxies);
  EXPECT_EQ(r.client, "198.51.100.7");
  EXPECT_FALSE(r.client_is_local) << "a trusted proxy's peer is never local";
  auto garbage = from("10.0.0.1", false, {{"X-Forwarded-For", "1.1.1.1, <script>"}});
  http::identify_client(garbage, proxies);
  EXPECT_EQ(garbage.client, "10.0.0.1");
  EXPECT_THROW(http::TrustedProxies::parse({"10.0.0.0/33"}), std::invalid_argument);
  EXPECT_THROW(http::TrustedProxies::parse({"nginx"}), std::invalid_argument);
}
