#include "drivers/sqlite/database.hpp"

#include <algorithm>

#include <sqlite3.h>

#include "core/errors.hpp"

namespace orderflow::sqlite {

namespace {
// Errors that say the database cannot be used right now (not that a job is wrong) become
// core::DependencyUnavailable, which clients see as 503.
std::exception_ptr classify(std::exception_ptr ep) {
  try {
    std::rethrow_exception(ep);
  } catch (const Error& e) {
    switch (e.code() & 0xff) {
      case SQLITE_BUSY:
      case SQLITE_LOCKED:
      case SQLITE_IOERR:
      case SQLITE_FULL:
      case SQLITE_CANTOPEN:
      case SQLITE_READONLY:
      case SQLITE_PROTOCOL:
        return std::make_exception_ptr(core::DependencyUnavailable("database", e.what()));
      default:
        return ep;
    }
  } catch (...) {
    return ep;
  }
}

// 8 MB of page cache per connection: the hot pages (the queue's ends, index roots) fit, the
// operating system's cache holds the rest, and a process's RSS stays bounded with a big backlog.
void configure(Connection& c, std::chrono::milliseconds busy_timeout) {
  c.set_busy_timeout(busy_timeout);
  c.exec_script(
      "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; PRAGMA foreign_keys=ON;"
      "PRAGMA temp_store=MEMORY; PRAGMA cache_size=-8000;");
}
}  // namespace

Database::Database(Options options) : options_(std::move(options)) {
  {
    Connection setup(options_.path);
    configure(setup, options_.busy_timeout);
    if (options_.prepare) options_.prepare(setup);
  }
  threads_.emplace_back([this] { writer_loop(); });
  for (int i = 0; i < std::max(1, options_.readers); ++i)
    threads_.emplace_back([this] { reader_loop(); });
}

Database::~Database() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  write_cv_.notify_all();
  read_cv_.notify_all();
  for (auto& t : threads_) t.join();
}

void Database::submit_write(Job job, Completion done) {
  {
    std::lock_guard lock(mutex_);
    writes_.push_back({std::move(job), std::move(done)});
  }
  write_cv_.notify_one();
}

void Database::submit_read(Job job, Completion done) {
  {
    std::lock_guard lock(mutex_);
    reads_.push_back({std::move(job), std::move(done)});
  }
  read_cv_.notify_one();
}

std::uint64_t Database::commits() const {
  std::lock_guard lock(mutex_);
  return commits_;
}

void Database::writer_loop() {
  Connection conn(options_.path);
  configure(conn, options_.busy_timeout);
  std::vector<Pending> batch;
  std::vector<std::exception_ptr> errors;
  for (;;) {
    {
      std::unique_lock lock(mutex_);
      write_cv_.wait(lock, [&] { return stopping_ || !writes_.empty(); });
      if (writes_.empty()) return;  // stopping, and everything submitted has been written
      while (!writes_.empty() && batch.size() < options_.max_batch) {
        batch.push_back(std::move(writes_.front()));
        writes_.pop_front();
      }
    }
    errors.assign(batch.size(), nullptr);
    try {
      conn.exec("BEGIN IMMEDIATE");
      for (std::size_t i = 0; i < batch.size(); ++i) {
        conn.exec("SAVEPOINT job");
        try {
          batch[i].job(conn);
          conn.exec("RELEASE job");
        } catch (...) {
          errors[i] = classify(std::current_exception());
          conn.exec("ROLLBACK TO job");
          conn.exec("RELEASE job");
        }
      }
      conn.exec("COMMIT");
      std::lock_guard lock(mutex_);
      ++commits_;
    } catch (...) {
      // The transaction as a whole failed (disk full, I/O error): nothing of it is durable.
      const auto ep = classify(std::current_exception());
      try {
        conn.exec_script("ROLLBACK");
      } catch (...) {
      }
      errors.assign(batch.size(), ep);
    }
    for (std::size_t i = 0; i < batch.size(); ++i) batch[i].done(errors[i]);
    batch.clear();
  }
}

void Database::reader_loop() {
  Connection conn(options_.path);
  configure(conn, options_.busy_timeout);
  for (;;) {
    Pending p;
    {
      std::unique_lock lock(mutex_);
      read_cv_.wait(lock, [&] { return stopping_ || !reads_.empty(); });
      if (reads_.empty()) return;
      p = std::move(reads_.front());
      reads_.pop_front();
    }
    std::exception_ptr error;
    try {
      // One read transaction per job: its statements see one consistent snapshot.
      conn.exec("BEGIN");
      try {
        p.job(conn);
        conn.exec("COMMIT");
      } catch (...) {
        conn.exec_script("ROLLBACK");
        throw;
      }
    } catch (...) {
      error = classify(std::current_exception());
    }
    p.done(error);
  }
}

}  // namespace orderflow::sqlite
