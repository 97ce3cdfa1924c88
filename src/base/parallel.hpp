#pragma once
// Runs several coroutines at once and waits for all of them.
#include <boost/asio/awaitable.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/deferred.hpp>
#include <boost/asio/experimental/parallel_group.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <exception>
#include <vector>

namespace orderflow {

// The results of `ops`, in their order, once every one has finished; the first failure (in
// their order) is rethrown after all have finished.
template <class T>
boost::asio::awaitable<std::vector<T>> all_of(std::vector<boost::asio::awaitable<T>> ops) {
  namespace asio = boost::asio;
  if (ops.empty()) co_return std::vector<T>{};
  const auto executor = co_await asio::this_coro::executor;
  using Deferred =
      decltype(asio::co_spawn(executor, std::declval<asio::awaitable<T>>(), asio::deferred));
  std::vector<Deferred> spawned;
  spawned.reserve(ops.size());
  for (auto& op : ops) spawned.push_back(asio::co_spawn(executor, std::move(op), asio::deferred));
  auto [order, errors, values] =
      co_await asio::experimental::make_parallel_group(std::move(spawned))
          .async_wait(asio::experimental::wait_for_all(), asio::use_awaitable);
  for (const auto& e : errors)
    if (e) std::rethrow_exception(e);
  co_return std::move(values);
}

}  // namespace orderflow
