#pragma once
#include <chrono>
#include <condition_variable>
#include <deque>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "base/async.hpp"
#include "drivers/sqlite/connection.hpp"

namespace orderflow::sqlite {

// One SQLite file in WAL mode. Writes go to a single writer thread that group-commits: every
// job waiting when a transaction starts runs inside it (each in its own savepoint, so one
// failing job does not undo the others), and all of them complete after the one COMMIT.
// Reads run on a few reader threads with their own connections.
class Database {
 public:
  struct Options {
    std::string path;
    int readers = 2;
    std::size_t max_batch = 1024;
    // How long a statement waits for a lock held by another process before giving up.
    std::chrono::milliseconds busy_timeout{5000};
    // Runs once on the file before the threads start: the schema's migration.
    std::function<void(Connection&)> prepare;
  };
  using Job = std::function<void(Connection&)>;

  explicit Database(Options options);
  ~Database();
  Database(const Database&) = delete;
  Database& operator=(const Database&) = delete;

  void submit_write(Job job, Completion done);
  void submit_read(Job job, Completion done);

  template <typename R>
  boost::asio::awaitable<R> write(std::function<R(Connection&)> fn) {
    return await_job<R, Connection>(
        [this](Job j, Completion d) { submit_write(std::move(j), std::move(d)); }, std::move(fn));
  }
  template <typename R>
  boost::asio::awaitable<R> read(std::function<R(Connection&)> fn) {
    return await_job<R, Connection>(
        [this](Job j, Completion d) { submit_read(std::move(j), std::move(d)); }, std::move(fn));
  }

  const std::string& path() const { return options_.path; }
  std::uint64_t commits() const;  // group transactions committed so far

 private:
  struct Pending {
    Job job;
    Completion done;
  };
  void writer_loop();
  void reader_loop();

  Options options_;
  mutable std::mutex mutex_;
  std::condition_variable write_cv_, read_cv_;
  std::deque<Pending> writes_, reads_;
  bool stopping_ = false;
  std::uint64_t commits_ = 0;
  std::vector<std::thread> threads_;
};

}  // namespace orderflow::sqlite
