#pragma once
#include <boost/asio/awaitable.hpp>

#include <chrono>
#include <cstdint>
#include <list>
#include <memory>
#include <mutex>

namespace boost::asio {
class any_io_executor;
}

namespace orderflow {

// Wakes long-polling receivers when a send commits. A receiver reads generation() before it
// looks at the queue and passes it to wait(), so a send in between is never missed.
class Notifier {
 public:
  std::uint64_t generation() const;
  boost::asio::awaitable<void> wait(std::uint64_t seen, std::chrono::milliseconds at_most);
  void notify();

 private:
  struct Waiter;
  mutable std::mutex mutex_;
  std::uint64_t generation_ = 0;
  std::list<std::shared_ptr<Waiter>> waiters_;
};

}  // namespace orderflow
