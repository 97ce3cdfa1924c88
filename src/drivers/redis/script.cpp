#include "drivers/redis/script.hpp"

#include "base/ids.hpp"

namespace orderflow::redis {

Script::Script(std::string source) : source_(std::move(source)), sha1_(sha1_hex(source_)) {}

Command Script::call(std::vector<std::string> keys, std::vector<std::string> args) const {
  Command c;
  c.reserve(3 + keys.size() + args.size());
  c.push_back("EVALSHA");
  c.push_back(sha1_);
  c.push_back(std::to_string(keys.size()));
  for (auto& k : keys) c.push_back(std::move(k));
  for (auto& a : args) c.push_back(std::move(a));
  return c;
}

boost::asio::awaitable<std::vector<Reply>> Script::run(Client& client,
                                                       std::vector<Command> calls) const {
  auto replies = co_await client.pipeline(calls);
  // A server that did not know the script failed each call of it without running it (NOSCRIPT):
  // send those again as EVAL.
  std::vector<std::size_t> unknown;
  std::vector<Command> again;
  for (std::size_t i = 0; i < replies.size(); ++i) {
    if (replies[i].type != Reply::Type::error || !replies[i].str.starts_with("NOSCRIPT")) continue;
    unknown.push_back(i);
    calls[i][0] = "EVAL";
    calls[i][1] = source_;
    again.push_back(std::move(calls[i]));
  }
  if (again.empty()) co_return replies;
  auto retried = co_await client.pipeline(std::move(again));
  for (std::size_t j = 0; j < unknown.size(); ++j) replies[unknown[j]] = std::move(retried[j]);
  co_return replies;
}

boost::asio::awaitable<Reply> Script::run(Client& client, std::vector<std::string> keys,
                                          std::vector<std::string> args) const {
  std::vector<Command> calls;
  calls.push_back(call(std::move(keys), std::move(args)));
  auto replies = co_await run(client, std::move(calls));
  if (replies.at(0).type == Reply::Type::error) throw_reply_error(replies[0].str);
  co_return std::move(replies[0]);
}

}  // namespace orderflow::redis
