#include "sqlite/database.hpp"

#include <algorithm>

#include "sqlite/schema.hpp"

namespace orderflow::sqlite {

namespace {
void configure(Connection& c) {
  c.exec_script(
      "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; PRAGMA foreign_keys=ON;"
      "PRAGMA temp_store=MEMORY; PRAGMA cache_size=-32000;");
}
}  // namespace

Database::Database(Options options) : options_(std::move(options)) {
  {
    Connection setup(options_.path);
    configure(setup);
    migrate(setup);
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
  configure(conn);
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
          errors[i] = std::current_exception();
          conn.exec("ROLLBACK TO job");
          conn.exec("RELEASE job");
        }
      }
      conn.exec("COMMIT");
      std::lock_guard lock(mutex_);
      ++commits_;
    } catch (...) {
      // The transaction as a whole failed (disk full, I/O error): nothing of it is durable.
      const auto ep = std::current_exception();
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
  configure(conn);
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
      error = std::current_exception();
    }
    p.done(error);
  }
}

}  // namespace orderflow::sqlite
