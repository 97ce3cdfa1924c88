#pragma once
// Shared by the conformance suites: runs coroutines to completion and makes scratch dirs.
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_future.hpp>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <optional>
#include <random>
#include <stdexcept>
#include <string>
#include <thread>

namespace orderflow::testing {

namespace asio = boost::asio;

template <typename T>
T run(asio::io_context& io, asio::awaitable<T> op) {
  auto f = asio::co_spawn(io, std::move(op), asio::use_future);
  io.restart();
  while (f.wait_for(std::chrono::seconds(0)) != std::future_status::ready) io.run_one();
  return f.get();
}

inline void run(asio::io_context& io, asio::awaitable<void> op) {
  run(io, [op = std::move(op)]() mutable -> asio::awaitable<int> {
    co_await std::move(op);
    co_return 0;
  }());
}

// Starts `n` requests at once (request(i) is an awaitable<bool>: whether the answer was right)
// and runs `io` until all have answered or `timeout` has passed; returns how many were right.
// Not io.run(): a client's connection may always be waiting to read, so `io` never runs dry.
// `request` must outlive `io`'s pending work (a lambda coroutine's frame points to it).
template <typename Request>
int count_concurrent(asio::io_context& io, int n, const Request& request,
                     std::chrono::milliseconds timeout = std::chrono::seconds(10)) {
  struct Counts {
    int answered = 0, right = 0;
  };
  const auto counts = std::make_shared<Counts>();
  for (int i = 0; i < n; ++i)
    asio::co_spawn(io, request(i), [counts](std::exception_ptr error, bool ok) {
      ++counts->answered;
      if (!error && ok) ++counts->right;
    });
  io.restart();
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (counts->answered < n && std::chrono::steady_clock::now() < deadline)
    io.run_one_for(std::chrono::milliseconds(100));
  return counts->right;
}

// Shutdown can cut a coroutine off at any point: its executor stops and is destroyed with the
// coroutine still waiting on a request. The coroutine's frame must be freed then, or it leaks
// (a reference cycle through the request). `start(io, witness)` connects what it needs (running
// `io`), spawns a coroutine whose frame holds `witness`, and returns what it created (destroyed
// before `io`, as at exit). Tries each cut-off point up to `max_steps` handlers run and returns
// the first at which the witness outlived the executor, if any.
template <typename Start>
std::optional<int> first_cut_off_that_leaks(Start start, int max_steps = 12) {
  for (int steps = 0; steps <= max_steps; ++steps) {
    auto witness = std::make_shared<int>(0);
    const std::weak_ptr<int> watch = witness;
    {
      asio::io_context io;
      auto created = start(io, std::move(witness));
      io.restart();
      for (int i = 0; i < steps; ++i) io.poll_one();
      io.stop();
    }
    if (!watch.expired()) return steps;
  }
  return std::nullopt;
}

// Names typed-test instances after their backend (QueueConformance/sqlite.…).
struct BackendNames {
  template <typename T>
  static std::string GetName(int) {
    return T::kName;
  }
};

// A service's URL that scripts/services put in the environment (DATABASE_URL, REDIS_URL).
inline std::string service_url(const char* variable) {
  const char* url = std::getenv(variable);
  if (!url)
    throw std::runtime_error(std::string(variable) +
                             " is not set: run the tests through scripts/test");
  return url;
}

inline void sleep_ms(int ms) {
  std::this_thread::sleep_for(std::chrono::milliseconds(ms));
}

class ScratchDir {
 public:
  ScratchDir() {
    std::random_device rd;
    path_ = std::filesystem::temp_directory_path() /
            ("orderflow-test-" + std::to_string(rd()) + std::to_string(rd()));
    std::filesystem::create_directories(path_);
  }
  ~ScratchDir() { std::filesystem::remove_all(path_); }
  std::string file(const std::string& name) const { return (path_ / name).string(); }

 private:
  std::filesystem::path path_;
};

}  // namespace orderflow::testing
