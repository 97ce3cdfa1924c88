#include <hiredis/hiredis.h>

#include <gtest/gtest.h>

#include <string>

#include "drivers/redis/client.hpp"

using namespace orderflow;

namespace {
// The first reply the bounded reader makes of `wire`, or its error.
std::string read_one(const std::string& wire) {
  redisReader* reader = redisReaderCreate();
  redis::bound_reply_arrays(reader);
  redisReaderFeed(reader, wire.data(), wire.size());
  void* reply = nullptr;
  std::string out;
  if (redisReaderGetReply(reader, &reply) != REDIS_OK) {
    out = std::string("error: ") + reader->errstr;
  } else if (reply) {
    const auto r = redis::to_reply(static_cast<redisReply*>(reply));
    out = "array of " + std::to_string(r.elements.size());
    freeReplyObject(reply);
  }
  redisReaderFree(reader);
  return out;
}
}  // namespace

// Found by the fuzzer: hiredis allocated an array from its header alone (3.2 GB for
// "*400000002"), before any element arrived.
TEST(RedisReply, AnArrayHeaderBeyondTheBoundIsRefused) {
  EXPECT_EQ(read_one("*3\r\n:1\r\n:2\r\n:3\r\n"), "array of 3");
  EXPECT_EQ(read_one("*400000002\r\n"), "error: Out of memory");
  EXPECT_EQ(read_one("*-5\r\n"), "error: Multi-bulk length out of range");
  EXPECT_EQ(read_one("*" + std::to_string(redis::kMaxReplyElements + 1) + "\r\n"),
            "error: Out of memory");
}
