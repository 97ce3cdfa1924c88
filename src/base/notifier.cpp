#include "base/notifier.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

namespace orderflow {

namespace asio = boost::asio;

struct Notifier::Waiter {
  explicit Waiter(const asio::any_io_executor& ex) : timer(ex) {}
  asio::steady_timer timer;
};

std::uint64_t Notifier::generation() const {
  std::lock_guard lock(mutex_);
  return generation_;
}

asio::awaitable<void> Notifier::wait(std::uint64_t seen, std::chrono::milliseconds at_most) {
  auto waiter = std::make_shared<Waiter>(co_await asio::this_coro::executor);
  waiter->timer.expires_after(at_most);
  std::list<std::shared_ptr<Waiter>>::iterator pos;
  {
    std::lock_guard lock(mutex_);
    if (generation_ != seen) co_return;
    pos = waiters_.insert(waiters_.end(), waiter);
  }
  co_await waiter->timer.async_wait(asio::as_tuple(asio::use_awaitable));
  std::lock_guard lock(mutex_);
  waiters_.erase(pos);
}

void Notifier::notify() {
  std::lock_guard lock(mutex_);
  ++generation_;
  for (auto& w : waiters_) {
    // Timers are not thread-safe: cancel each on its own executor.
    asio::post(w->timer.get_executor(), [w] { w->timer.cancel(); });
  }
}

}  // namespace orderflow
