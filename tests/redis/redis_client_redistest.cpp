// The asynchronous Redis client against a real redis-server of the test's own (a child process
// on a free port), which the tests freeze, stop and restart.
#include <gtest/gtest.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/ip/tcp.hpp>

#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>
#include <csignal>

#include "../conformance/harness.hpp"
#include "base/ids.hpp"
#include "drivers/redis/client.hpp"
#include "drivers/redis/script.hpp"

namespace orderflow::testing {
namespace {

using namespace std::chrono_literals;

int free_port() {
  asio::io_context io;
  asio::ip::tcp::acceptor a(io, {asio::ip::make_address("127.0.0.1"), 0});
  return a.local_endpoint().port();
}

// redis-server with a password, no persistence, on a free loopback port.
class PrivateRedis {
 public:
  PrivateRedis() : port_(free_port()) { start(); }
  ~PrivateRedis() { stop(); }
  void start() {
    const auto port = std::to_string(port_);
    std::vector<std::string> args{"redis-server",
                                  "--port",
                                  port,
                                  "--bind",
                                  "127.0.0.1",
                                  "--save",
                                  "",
                                  "--appendonly",
                                  "no",
                                  "--requirepass",
                                  "pw",
                                  "--logfile",
                                  ""};
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    // Killed with the test process, even when that dies by a signal: an orphan would hold the
    // test runner's output pipe open until its timeout.
    const pid_t parent = ::getpid();
    pid_ = ::fork();
    if (pid_ < 0) throw std::runtime_error("cannot start redis-server");
    if (pid_ == 0) {
      ::prctl(PR_SET_PDEATHSIG, SIGKILL);
      if (::getppid() != parent) ::_exit(1);  // the test process is gone already
      ::execvp("redis-server", argv.data());
      ::_exit(127);
    }
    for (int i = 0; i < 100; ++i) {  // until it accepts connections
      asio::io_context io;
      asio::ip::tcp::socket s(io);
      boost::system::error_code ec;
      s.connect({asio::ip::make_address("127.0.0.1"), static_cast<unsigned short>(port_)}, ec);
      if (!ec) return;
      sleep_ms(20);
    }
    throw std::runtime_error("redis-server did not start");
  }
  void stop() {
    if (pid_ <= 0) return;
    ::kill(pid_, SIGCONT);
    ::kill(pid_, SIGKILL);
    ::waitpid(pid_, nullptr, 0);
    pid_ = 0;
  }
  void freeze() { ::kill(pid_, SIGSTOP); }
  void thaw() { ::kill(pid_, SIGCONT); }
  redis::Options options(std::optional<std::string> password = "pw", int db = 0) const {
    redis::Options o;
    o.port = port_;
    o.password = std::move(password);
    o.db = db;
    o.command_timeout = 300ms;
    o.min_backoff = 50ms;
    o.max_backoff = 200ms;
    return o;
  }

 private:
  int port_;
  pid_t pid_ = 0;
};

class RedisClient : public ::testing::Test {
 protected:
  template <typename T>
  T await(asio::awaitable<T> op) {
    return run(io_, std::move(op));
  }
  redis::Reply command(redis::Client& c, redis::Command cmd) { return await(c.command(cmd)); }
  // Retries until Redis answers (after a backoff) or `limit` runs out.
  bool answers(redis::Client& c, std::chrono::milliseconds limit = 3s) {
    const auto deadline = std::chrono::steady_clock::now() + limit;
    while (std::chrono::steady_clock::now() < deadline) {
      try {
        return command(c, {"PING"}).str == "PONG";
      } catch (const redis::ConnectionError&) {
        sleep_ms(20);
      }
    }
    return false;
  }

  asio::io_context io_;
  PrivateRedis server_;
};

asio::awaitable<void> command_holding(redis::Client& client, std::shared_ptr<int> witness) {
  redis::Command ping{"PING"};  // not braced in the co_await: GCC 12 miscompiles that
  co_await client.command(std::move(ping));
  ++*witness;
}

TEST_F(RedisClient, ARequestCutOffByShutdownIsFreed) {
  EXPECT_EQ(first_cut_off_that_leaks([this](asio::io_context& io, std::shared_ptr<int> witness) {
              auto client = std::make_unique<redis::Client>(io.get_executor(), server_.options());
              run(io, client->command({"PING"}));  // connected: the request goes straight out
              asio::co_spawn(io, command_holding(*client, std::move(witness)), asio::detached);
              return client;
            }),
            std::nullopt);
}

TEST_F(RedisClient, AuthenticatesAndSelectsItsDatabase) {
  redis::Client db3(io_.get_executor(), server_.options("pw", 3));
  redis::Client db0(io_.get_executor(), server_.options("pw", 0));
  EXPECT_EQ(command(db3, {"SET", "k", "three"}).str, "OK");
  EXPECT_EQ(command(db3, {"GET", "k"}).text(), "three");
  EXPECT_TRUE(command(db0, {"GET", "k"}).is_nil());
}

TEST_F(RedisClient, AWrongPasswordIsRefused) {
  redis::Client wrong(io_.get_executor(), server_.options("nope"));
  EXPECT_THROW(command(wrong, {"PING"}), redis::ConnectionError);
  redis::Client none(io_.get_executor(), server_.options(std::nullopt));
  EXPECT_THROW(command(none, {"PING"}), redis::ReplyError);  // NOAUTH
}

// A server that cannot serve for now (LOADING after a restart: seen as a 500 in the outage test)
// is unavailable, a 503; an error about the command itself stays a ReplyError.
TEST(RedisReplyErrors, ATransientStateIsUnavailableAndACommandErrorIsNot) {
  EXPECT_THROW(redis::throw_reply_error("LOADING Redis is loading the dataset in memory"),
               core::DependencyUnavailable);
  EXPECT_THROW(redis::throw_reply_error("BUSY Redis is busy running a script"),
               core::DependencyUnavailable);
  EXPECT_THROW(redis::throw_reply_error("MISCONF Errors writing to the AOF file"),
               core::DependencyUnavailable);
  EXPECT_THROW(redis::throw_reply_error("BUSYKEY Target key name already exists"),
               redis::ReplyError);
  EXPECT_THROW(redis::throw_reply_error("WRONGTYPE Operation against a key holding the wrong kind"),
               redis::ReplyError);
}

// Host names are looked up by Asio's resolver, not by hiredis (which would block the thread).
TEST_F(RedisClient, ConnectsToAHostName) {
  auto options = server_.options();
  options.host = "localhost";
  redis::Client named(io_.get_executor(), options);
  EXPECT_EQ(command(named, {"PING"}).str, "PONG");
}

TEST_F(RedisClient, AHostNameThatDoesNotResolveFailsClearly) {
  auto options = server_.options();
  options.host = "no-such-host.invalid";
  options.connect_timeout = 10s;  // the lookup's answer, not the timeout, is what is tested
  redis::Client nowhere(io_.get_executor(), options);
  try {
    command(nowhere, {"PING"});
    ADD_FAILURE() << "connected to a host that does not exist";
  } catch (const redis::ConnectionError& e) {
    EXPECT_NE(std::string(e.what()).find("cannot resolve no-such-host.invalid"), std::string::npos)
        << e.what();
  }
}

TEST_F(RedisClient, PipelinesManyConcurrentRequests) {
  redis::Client c(io_.get_executor(), server_.options());
  constexpr int kRequests = 500;
  const auto increment = [&](int i) -> asio::awaitable<bool> {
    redis::Command incr{"INCRBY", "n", std::to_string(i)};
    co_await c.command(std::move(incr));
    co_return true;
  };
  EXPECT_EQ(count_concurrent(io_, kRequests, increment), kRequests);
  EXPECT_EQ(command(c, {"GET", "n"}).text(), std::to_string(kRequests * (kRequests - 1) / 2));
  const auto replies = await(c.pipeline({{"SET", "a", "1"}, {"NOSUCHCOMMAND"}, {"GET", "a"}}));
  ASSERT_EQ(replies.size(), 3u);
  EXPECT_EQ(replies[1].type, redis::Reply::Type::error);  // returned, not thrown
  EXPECT_EQ(replies[2].text(), "1");
}

TEST_F(RedisClient, AFrozenServerTimesOutAndIsUsedAgainAfterwards) {
  redis::Client c(io_.get_executor(), server_.options());
  ASSERT_TRUE(answers(c));
  server_.freeze();
  const auto t0 = std::chrono::steady_clock::now();
  EXPECT_THROW(command(c, {"PING"}), redis::ConnectionError);
  const auto waited = std::chrono::steady_clock::now() - t0;
  EXPECT_LT(waited, 1s) << "the command timeout (300 ms) did not apply";
  // While backing off, requests fail at once.
  const auto t1 = std::chrono::steady_clock::now();
  EXPECT_THROW(command(c, {"PING"}), redis::ConnectionError);
  EXPECT_LT(std::chrono::steady_clock::now() - t1, 100ms);
  server_.thaw();
  EXPECT_TRUE(answers(c));
}

// hiredis writes to its socket without MSG_NOSIGNAL: a write to a connection the server has
// reset raises SIGPIPE, which kills the process (a server died of it, exit -13, in the Redis
// outage test). A process with a Redis client ignores SIGPIPE; the write then fails with EPIPE
// and the client reconnects as after any failure.
TEST_F(RedisClient, AProcessWithARedisClientIgnoresSigpipe) {
  redis::Client c(io_.get_executor(), server_.options());
  struct sigaction current {};
  ASSERT_EQ(::sigaction(SIGPIPE, nullptr, &current), 0);
  EXPECT_EQ(current.sa_handler, SIG_IGN);
  EXPECT_EQ(::raise(SIGPIPE), 0);  // survived
}

TEST_F(RedisClient, ReconnectsAfterARestart) {
  redis::Client c(io_.get_executor(), server_.options());
  ASSERT_TRUE(answers(c));
  server_.stop();
  EXPECT_THROW(command(c, {"PING"}), redis::ConnectionError);
  EXPECT_FALSE(c.connected());
  server_.start();
  EXPECT_TRUE(answers(c));
  EXPECT_TRUE(c.connected());
}

TEST_F(RedisClient, ScriptsRunBySha1AndAgainAfterTheServerForgotThem) {
  redis::Client c(io_.get_executor(), server_.options());
  const redis::Script add("return redis.call('INCRBY', KEYS[1], ARGV[1])");
  EXPECT_EQ(await(add.run(c, {"n"}, {"2"})).integer, 2);  // unknown: NOSCRIPT, then EVAL
  EXPECT_EQ(command(c, {"SCRIPT", "EXISTS",
                        sha1_hex("return redis.call('INCRBY', KEYS[1], "
                                 "ARGV[1])")})
                .elements.at(0)
                .integer,
            1);
  EXPECT_EQ(await(add.run(c, {"n"}, {"3"})).integer, 5);  // by SHA-1
  command(c, {"SCRIPT", "FLUSH"});
  std::vector<redis::Command> calls{add.call({"n"}, {"1"}), add.call({"n"}, {"1"})};
  const auto replies = await(add.run(c, std::move(calls)));
  EXPECT_EQ(replies.at(0).integer, 6);
  EXPECT_EQ(replies.at(1).integer, 7);
  EXPECT_THROW(await(add.run(c, {"n"}, {"not a number"})), redis::ReplyError);
}

}  // namespace
}  // namespace orderflow::testing
