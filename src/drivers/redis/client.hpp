#pragma once
// An asynchronous Redis client on Asio: hiredis' async API driven by an Asio descriptor on a
// strand, commands pipelined on one connection, with the timeouts and reconnects hiredis 0.14
// lacks.
#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "core/errors.hpp"

struct redisReply;  // hiredis
struct redisReader;

namespace orderflow::redis {

struct Reply {
  enum class Type { nil, string, integer, array, status, error };
  Type type = Type::nil;
  std::string str;  // string, status or error text
  std::int64_t integer = 0;
  std::vector<Reply> elements;

  bool is_nil() const { return type == Type::nil; }
  // The value of a string or integer reply as text; nullopt for nil.
  std::optional<std::string> text() const;
};

// A reply as hiredis read it off the wire, copied out. Fuzzed (tests/fuzz).
Reply to_reply(const ::redisReply* r);

// Makes `reader` refuse an array header of more than kMaxReplyElements elements (hiredis 0.14
// allocates the array from the header alone: "*400000000" took 3.2 GB before a single element
// arrived; found by the fuzzer). The reader then fails as on running out of memory, and the
// connection is dropped and made again.
inline constexpr int kMaxReplyElements = 1 << 20;
void bound_reply_arrays(::redisReader* reader);

// The server answered a command with an error (WRONGTYPE, NOSCRIPT, …): the connection is fine.
class ReplyError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// Throws what an error reply means. A server that cannot serve yet or now (LOADING its data
// after a restart, BUSY in a script, MASTERDOWN, TRYAGAIN, CLUSTERDOWN, MISCONF when it cannot
// persist) is unavailable: try again later (503); any other error is a ReplyError.
[[noreturn]] void throw_reply_error(const std::string& message);

// Redis cannot be reached, or did not answer in time: try again later (503 where it matters).
class ConnectionError : public core::DependencyUnavailable {
 public:
  explicit ConnectionError(const std::string& what) : core::DependencyUnavailable("redis", what) {}
};

struct Options {
  std::string host = "127.0.0.1";
  int port = 6379;
  std::optional<std::string> username, password;  // AUTH after connecting
  int db = 0;                                     // SELECT after connecting
  std::chrono::milliseconds connect_timeout{1000};
  std::chrono::milliseconds command_timeout{1000};
  // After a failure, requests fail at once for this long (doubling up to max_backoff).
  std::chrono::milliseconds min_backoff{100}, max_backoff{5000};
};

// redis://[[user]:password@]host[:port][/db]; nullopt when it is not such a URL.
std::optional<Options> parse_url(std::string_view url);

using Command = std::vector<std::string>;

// One connection, connected on first use. Many requests may be in flight; each request's
// commands are written back to back (a pipeline) and their replies come back in order.
// A request that outlives the command timeout drops the connection, failing what is in flight.
class Client {
 public:
  Client(boost::asio::any_io_executor executor, Options options);
  // Drops the connection at once: destroy a client only while no thread runs its executor.
  ~Client();
  Client(const Client&) = delete;
  Client& operator=(const Client&) = delete;

  // Error replies are returned as replies (type error), not thrown.
  boost::asio::awaitable<std::vector<Reply>> pipeline(std::vector<Command> commands);
  // One command; an error reply throws ReplyError.
  boost::asio::awaitable<Reply> command(Command command);

  bool connected() const;

  struct Impl;

 private:
  std::shared_ptr<Impl> impl_;
};

}  // namespace orderflow::redis
