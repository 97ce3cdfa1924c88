#include "service/health.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

namespace orderflow::obs {

namespace asio = boost::asio;

namespace {
// Runs `op` and gives up waiting after `deadline`; the operation itself finishes in the
// background (backend calls are not cancellable), its late result is dropped.
template <typename T>
asio::awaitable<std::optional<T>> within(asio::awaitable<T> op, std::chrono::milliseconds deadline,
                                         std::string& error) {
  struct State {
    explicit State(asio::any_io_executor ex) : timer(std::move(ex)) {}
    asio::steady_timer timer;
    std::optional<T> value;
    std::string error;
    bool done = false;
  };
  auto strand = asio::make_strand(co_await asio::this_coro::executor);
  auto state = std::make_shared<State>(strand);
  state->timer.expires_after(deadline);
  asio::co_spawn(
      strand,
      [state, op = std::move(op)]() mutable -> asio::awaitable<void> {
        try {
          state->value = co_await std::move(op);
        } catch (const std::exception& e) {
          state->error = e.what();
        }
        state->done = true;
        state->timer.cancel();
      },
      asio::detached);
  // A check that finished at once (it may run inline) cancelled the timer before this wait.
  if (!state->done) co_await state->timer.async_wait(asio::as_tuple(asio::use_awaitable));
  co_await asio::post(strand, asio::use_awaitable);
  if (!state->done) {
    error = "timed out after " + std::to_string(deadline.count()) + " ms";
    co_return std::nullopt;
  }
  error = state->error;
  co_return std::move(state->value);
}

// A check that returns nothing, in within()'s value form.
asio::awaitable<bool> succeeds(asio::awaitable<void> check) {
  co_await std::move(check);
  co_return true;
}

double since_ms(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
}
}  // namespace

asio::awaitable<HealthMonitor::Report> HealthMonitor::check_now(
    std::chrono::milliseconds deadline) {
  Report r;
  r.cache.status = "disabled";
  auto t0 = std::chrono::steady_clock::now();
  std::string error;
  const auto db_ok = co_await within<bool>(succeeds(database_.ping()), deadline, error);
  r.database = {db_ok ? "connected" : "disconnected", since_ms(t0), error};
  t0 = std::chrono::steady_clock::now();
  const auto stats = co_await within<queue::QueueStats>(queue_.stats(), deadline, error);
  r.queue = {stats ? "connected" : "disconnected", since_ms(t0), error};
  if (stats) r.queue_depth = stats->visible + stats->in_flight + stats->delayed;
  if (cache_) {
    t0 = std::chrono::steady_clock::now();
    const auto cache_ok = co_await within<bool>(succeeds(cache_->ping()), deadline, error);
    r.cache = {cache_ok ? "connected" : "disconnected", since_ms(t0), error};
  }
  if (replica_probe_) {
    auto replicas = co_await within<std::vector<ReplicaCheck>>(replica_probe_(), deadline, error);
    if (replicas) r.replicas = std::move(*replicas);
  }
  {
    std::lock_guard lock(mutex_);
    last_ = r;
  }
  co_return r;
}

HealthMonitor::Report HealthMonitor::last() const {
  std::lock_guard lock(mutex_);
  return last_;
}

void HealthMonitor::start(asio::io_context& io, std::chrono::milliseconds every) {
  asio::co_spawn(io, loop(every), asio::detached);
}

asio::awaitable<void> HealthMonitor::loop(std::chrono::milliseconds every) {
  asio::steady_timer timer(co_await asio::this_coro::executor);
  while (!stopping_) {
    co_await check_now(std::chrono::milliseconds(2000));
    timer.expires_after(every);
    co_await timer.async_wait(asio::as_tuple(asio::use_awaitable));
  }
}

}  // namespace orderflow::obs
