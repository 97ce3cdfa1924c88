// The rules every backend applies (core): the intake's replay/conflict decision and the product
// sort whitelist.
#include <gtest/gtest.h>

#include "core/domain/catalog.hpp"
#include "core/ports/intake.hpp"

using namespace orderflow;
using ports::AcceptOutcome;
using ports::IntakeRecord;

namespace {

ports::AcceptRequest request(std::optional<std::string> key, bool client_id) {
  ports::AcceptRequest r;
  r.order_id = "ord-1";
  r.idempotency_key = std::move(key);
  r.client_order_id = client_id;
  r.request_hash = "h1";
  r.accepted_at = 10'000;
  r.idempotency_window_ms = 1'000;
  return r;
}

IntakeRecord record(std::string hash, std::int64_t created_at) {
  return {"ord-1", std::move(hash), "msg-1", created_at};
}

}  // namespace

TEST(IntakeRule, NothingBoundCreates) {
  EXPECT_FALSE(ports::decide_intake(request("k", true), std::nullopt, std::nullopt));
  EXPECT_FALSE(ports::decide_intake(request(std::nullopt, false), std::nullopt, std::nullopt));
}

TEST(IntakeRule, AKeyReplaysTheSameRequestAndRefusesAnother) {
  const auto same = ports::decide_intake(request("k", false), record("h1", 9'500), std::nullopt);
  ASSERT_TRUE(same);
  EXPECT_EQ(same->outcome, AcceptOutcome::replayed);
  EXPECT_EQ(same->message_id, "msg-1");
  EXPECT_EQ(same->created_at, 9'500);
  EXPECT_EQ(ports::decide_intake(request("k", true), record("h2", 9'500), std::nullopt)->outcome,
            AcceptOutcome::idempotency_conflict);
}

TEST(IntakeRule, AClientOrderIdReplaysOnlyAKeylessRepeatWithinTheWindow) {
  const auto in_window = record("h1", 9'500), too_old = record("h1", 9'000);
  EXPECT_EQ(ports::decide_intake(request(std::nullopt, true), std::nullopt, in_window)->outcome,
            AcceptOutcome::replayed);
  EXPECT_EQ(ports::decide_intake(request(std::nullopt, true), std::nullopt, too_old)->outcome,
            AcceptOutcome::order_id_conflict);
  EXPECT_EQ(ports::decide_intake(request("fresh", true), std::nullopt, in_window)->outcome,
            AcceptOutcome::order_id_conflict);
  EXPECT_EQ(
      ports::decide_intake(request(std::nullopt, true), std::nullopt, record("h2", 9'500))->outcome,
      AcceptOutcome::order_id_conflict);
  // A server-chosen id is never looked up by id.
  EXPECT_FALSE(ports::decide_intake(request(std::nullopt, false), std::nullopt, in_window));
}

TEST(IntakeRule, AnIdOnlyTheDatabaseKnowsIsAConflict) {
  EXPECT_EQ(
      ports::decide_intake(request(std::nullopt, true), std::nullopt, std::nullopt, true)->outcome,
      AcceptOutcome::order_id_conflict);
}

TEST(ProductSort, OnlyTheListedSortsParse) {
  for (const auto* name : {"name", "-name", "price", "-price", "-created_at"}) {
    const auto sort = domain::parse_product_sort(name);
    ASSERT_TRUE(sort) << name;
    EXPECT_EQ(domain::to_string(*sort), name);
  }
  for (const auto* bad : {"", "created_at", "Name", "price;DROP", "-stock"})
    EXPECT_FALSE(domain::parse_product_sort(bad)) << bad;
}
