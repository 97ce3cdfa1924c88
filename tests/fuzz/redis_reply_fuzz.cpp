// Redis replies: bytes as they come off the wire, read by hiredis' reader (what the client's
// connection uses, bounded as the client bounds it), copied out by redis::to_reply.
#include <hiredis/hiredis.h>

#include <cstdint>

#include "drivers/redis/client.hpp"

using namespace orderflow;

namespace {
std::size_t count(const redis::Reply& r) {
  std::size_t n = 1;
  for (const auto& e : r.elements) n += count(e);
  return n;
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  redisReader* reader = redisReaderCreate();
  redis::bound_reply_arrays(reader);  // as every connection's reader is
  redisReaderFeed(reader, reinterpret_cast<const char*>(data), size);
  for (;;) {
    void* reply = nullptr;
    if (redisReaderGetReply(reader, &reply) != REDIS_OK || !reply) break;
    const auto copied = redis::to_reply(static_cast<redisReply*>(reply));
    (void)copied.text();
    if (count(copied) == 0) __builtin_trap();
    freeReplyObject(reply);
  }
  redisReaderFree(reader);
  return 0;
}
