#pragma once
// Shared by the conformance suites: runs coroutines to completion and makes scratch dirs.
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_future.hpp>

#include <chrono>
#include <filesystem>
#include <random>
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

// Names typed-test instances after their backend (QueueConformance/sqlite.…).
struct BackendNames {
  template <typename T>
  static std::string GetName(int) {
    return T::kName;
  }
};

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
