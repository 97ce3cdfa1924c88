#pragma once
// Runs several coroutines at once and waits for all of them.
#include <boost/asio/awaitable.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/this_coro.hpp>

#include <exception>
#include <memory>
#include <mutex>
#include <optional>
#include <vector>

#include "base/async.hpp"

namespace orderflow {

// The results of `ops`, in their order, once every one has finished; the first failure (in
// their order) is rethrown after all have finished.
template <class T>
boost::asio::awaitable<std::vector<T>> all_of(std::vector<boost::asio::awaitable<T>> ops) {
  namespace asio = boost::asio;
  if (ops.empty()) co_return std::vector<T>{};
  struct State {
    std::mutex mutex;
    std::vector<std::optional<T>> values;
    std::vector<std::exception_ptr> errors;
    std::size_t left = 0;
    Completion done;
  };
  auto state = std::make_shared<State>();
  state->values.resize(ops.size());
  state->errors.resize(ops.size());
  state->left = ops.size();
  const auto executor = co_await asio::this_coro::executor;
  co_await await_completion([&](Completion done) {
    // Nothing of this coroutine's frame is touched once the first op has started: the last to
    // finish may resume (and end) it on another thread while this loop still runs.
    auto pending = std::move(ops);
    const auto ex = executor;
    const auto shared = state;
    shared->done = std::move(done);
    for (std::size_t i = 0; i < pending.size(); ++i)
      asio::co_spawn(ex, std::move(pending[i]), [state = shared, i](std::exception_ptr e, T value) {
        std::unique_lock lock(state->mutex);
        if (e)
          state->errors[i] = e;
        else
          state->values[i] = std::move(value);
        if (--state->left > 0) return;
        auto done = std::move(state->done);
        lock.unlock();
        done(nullptr);
      });
  });
  std::vector<T> out;
  out.reserve(state->values.size());
  for (std::size_t i = 0; i < state->values.size(); ++i) {
    if (state->errors[i]) std::rethrow_exception(state->errors[i]);
    out.push_back(std::move(*state->values[i]));
  }
  co_return out;
}

}  // namespace orderflow
