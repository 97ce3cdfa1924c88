#include <hiredis/hiredis.h>

#include "drivers/redis/client.hpp"

namespace orderflow::redis {

namespace {
// hiredis' own functions (one table for every reader), which the bounded one calls.
const redisReplyObjectFunctions* g_hiredis_functions = nullptr;

void* create_bounded_array(const redisReadTask* task, int elements) {
  if (elements < 0 || elements > kMaxReplyElements) return nullptr;
  return g_hiredis_functions->createArray(task, elements);
}
}  // namespace

void bound_reply_arrays(redisReader* reader) {
  static redisReplyObjectFunctions bounded = [reader] {
    g_hiredis_functions = reader->fn;
    auto functions = *reader->fn;
    functions.createArray = create_bounded_array;
    return functions;
  }();
  reader->fn = &bounded;
}

std::optional<std::string> Reply::text() const {
  if (type == Type::string || type == Type::status) return str;
  if (type == Type::integer) return std::to_string(integer);
  return std::nullopt;
}

Reply to_reply(const redisReply* r) {
  Reply out;
  switch (r->type) {
    case REDIS_REPLY_STRING:
    case REDIS_REPLY_STATUS:
    case REDIS_REPLY_ERROR:
      out.type = r->type == REDIS_REPLY_STRING   ? Reply::Type::string
                 : r->type == REDIS_REPLY_STATUS ? Reply::Type::status
                                                 : Reply::Type::error;
      out.str.assign(r->str, r->len);
      break;
    case REDIS_REPLY_INTEGER:
      out.type = Reply::Type::integer;
      out.integer = r->integer;
      break;
    case REDIS_REPLY_ARRAY:
      out.type = Reply::Type::array;
      out.elements.reserve(r->elements);
      for (std::size_t i = 0; i < r->elements; ++i) out.elements.push_back(to_reply(r->element[i]));
      break;
    default:
      break;
  }
  return out;
}

}  // namespace orderflow::redis
