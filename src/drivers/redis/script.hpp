#pragma once
#include <boost/asio/awaitable.hpp>

#include <string>
#include <vector>

#include "drivers/redis/client.hpp"

namespace orderflow::redis {

// A Lua script, sent by its SHA-1 (EVALSHA). A server that does not know it yet (first use,
// a restart, SCRIPT FLUSH) answers NOSCRIPT, and the call is sent again as EVAL, which also
// caches the script there.
class Script {
 public:
  explicit Script(std::string source);

  // The EVALSHA command that runs this script with these keys and arguments.
  Command call(std::vector<std::string> keys, std::vector<std::string> args) const;
  // Runs calls of this script in one pipeline; replies in order, error replies as replies.
  boost::asio::awaitable<std::vector<Reply>> run(Client& client, std::vector<Command> calls) const;
  // Runs one call; an error reply throws ReplyError.
  boost::asio::awaitable<Reply> run(Client& client, std::vector<std::string> keys,
                                    std::vector<std::string> args) const;

 private:
  std::string source_, sha1_;
};

}  // namespace orderflow::redis
