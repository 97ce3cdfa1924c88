#include "drivers/pg/group_commit.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>

#include "base/async.hpp"

namespace orderflow::pg {

namespace asio = boost::asio;

struct GroupCommit::Pending {
  std::vector<Statement> statements;
  std::shared_ptr<std::vector<Result>> results;  // await_result's holder
  Completion done;
};

GroupCommit::~GroupCommit() = default;

asio::awaitable<std::vector<Result>> GroupCommit::execute(std::vector<Statement> statements) {
  co_return co_await await_result<std::vector<Result>>(
      [&](std::shared_ptr<std::vector<Result>> results, Completion done) {
        auto pending = std::make_shared<Pending>();
        pending->statements = std::move(statements);
        pending->results = std::move(results);
        pending->done = std::move(done);
        bool lead;
        {
          std::lock_guard lock(mutex_);
          pending_.push_back(pending);
          lead = !flushing_;
          flushing_ = true;
        }
        if (lead) asio::co_spawn(pool_.executor(), flush(), asio::detached);
      });
}

asio::awaitable<void> GroupCommit::flush() {
  for (;;) {
    std::vector<std::shared_ptr<Pending>> group;
    {
      std::lock_guard lock(mutex_);
      if (pending_.empty()) {
        flushing_ = false;
        co_return;
      }
      group.swap(pending_);
    }
    std::vector<Statement> all;
    for (const auto& p : group) all.insert(all.end(), p->statements.begin(), p->statements.end());
    bool one_failed = false;
    std::exception_ptr broken;
    try {
      auto results = co_await pool_.execute(std::move(all));
      std::size_t next = 0;
      for (auto& p : group) {
        for (std::size_t i = 0; i < p->statements.size(); ++i)
          p->results->push_back(std::move(results.at(next++)));
        p->done(nullptr);
      }
    } catch (const QueryError&) {
      one_failed = true;
    } catch (...) {
      broken = std::current_exception();
    }
    if (broken)
      for (auto& p : group) p->done(broken);
    if (!one_failed) continue;
    for (auto& p : group) {
      std::exception_ptr error;
      try {
        *p->results = co_await pool_.execute(p->statements);
      } catch (...) {
        error = std::current_exception();
      }
      p->done(error);
    }
  }
}

}  // namespace orderflow::pg
