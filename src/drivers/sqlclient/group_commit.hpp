#pragma once
#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>

#include <functional>
#include <memory>
#include <mutex>
#include <stdexcept>
#include <vector>

#include "base/async.hpp"

namespace orderflow::sqlclient {

// Group commit: items that arrive together are written as one request (one transaction, one
// WAL flush, one statement per table) by a single flusher while the next group gathers.
// `write` writes a group and returns one result per item, in order. If a group fails on a
// statement (`QueryError`: a concurrent twin's unique violation, say), each of its items is
// written again alone, so that only the culprit fails; any other failure fails the whole group.
template <class Item, class Out, class QueryError>
class GroupCommit {
 public:
  using Write =
      std::function<boost::asio::awaitable<std::vector<Out>>(const std::vector<const Item*>&)>;

  GroupCommit(boost::asio::any_io_executor executor, Write write)
      : executor_(std::move(executor)), write_(std::move(write)) {}

  boost::asio::awaitable<Out> submit(Item item) {
    co_return co_await await_result<Out>([&](std::shared_ptr<Out> out, Completion done) {
      auto pending =
          std::make_shared<Pending>(Pending{std::move(item), std::move(out), std::move(done)});
      bool lead;
      {
        std::lock_guard lock(mutex_);
        pending_.push_back(std::move(pending));
        lead = !flushing_;
        flushing_ = true;
      }
      if (lead) boost::asio::co_spawn(executor_, flush(), boost::asio::detached);
    });
  }

 private:
  struct Pending {
    Item item;
    std::shared_ptr<Out> out;  // await_result's holder
    Completion done;
  };

  boost::asio::awaitable<void> flush() {
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
      std::vector<const Item*> items;
      for (const auto& p : group) items.push_back(&p->item);
      bool one_failed = false;
      std::exception_ptr broken;
      try {
        auto outs = co_await write_(items);
        if (outs.size() != group.size()) throw std::logic_error("a group write lost items");
        for (std::size_t i = 0; i < group.size(); ++i) {
          *group[i]->out = std::move(outs.at(i));
          group[i]->done(nullptr);
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
          const std::vector<const Item*> alone{&p->item};
          auto outs = co_await write_(alone);
          *p->out = std::move(outs.at(0));
        } catch (...) {
          error = std::current_exception();
        }
        p->done(error);
      }
    }
  }

  boost::asio::any_io_executor executor_;
  Write write_;
  std::mutex mutex_;
  std::vector<std::shared_ptr<Pending>> pending_;
  bool flushing_ = false;
};

}  // namespace orderflow::sqlclient
