#pragma once
#include <boost/asio/awaitable.hpp>

#include <memory>
#include <mutex>
#include <vector>

#include "drivers/pg/pool.hpp"

namespace orderflow::pg {

// Group commit: requests that arrive together are sent as one request (one transaction, one
// WAL flush) by a single flusher while the next group gathers. If a group fails on a statement
// (a concurrent twin's unique violation, say), each of its requests runs again alone, so that
// only the culprit fails. Each caller gets its own statements' results.
class GroupCommit {
 public:
  explicit GroupCommit(Pool& pool) : pool_(pool) {}
  ~GroupCommit();

  boost::asio::awaitable<std::vector<Result>> execute(std::vector<Statement> statements);

 private:
  struct Pending;
  boost::asio::awaitable<void> flush();

  Pool& pool_;
  std::mutex mutex_;
  std::vector<std::shared_ptr<Pending>> pending_;
  bool flushing_ = false;
};

}  // namespace orderflow::pg
