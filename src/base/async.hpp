#pragma once
// Bridges work that runs on a backend's own threads (SQLite) into C++20 coroutines on Asio.
#include <boost/asio/associated_executor.hpp>
#include <boost/asio/async_result.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <exception>
#include <functional>
#include <memory>
#include <optional>

namespace orderflow {

// A completion that may be called from any thread exactly once.
using Completion = std::function<void(std::exception_ptr)>;

// Awaits `submit(completion)`: the coroutine resumes on its own executor once the completion is
// called, rethrowing the exception it carries. The completion owns the awaiting coroutine, so
// the coroutine must not own what holds the completion (a request object, say): if the executor
// stops before the completion is called, the two would keep each other alive (a leak at exit).
// await_result keeps to that for work that returns something.
template <typename Submit>
boost::asio::awaitable<void> await_completion(Submit submit) {
  co_await boost::asio::async_initiate<const boost::asio::use_awaitable_t<>&,
                                       void(std::exception_ptr)>(
      [submit = std::move(submit)](auto handler) mutable {
        auto work = boost::asio::make_work_guard(boost::asio::get_associated_executor(handler));
        auto shared = std::make_shared<decltype(handler)>(std::move(handler));
        submit(Completion([shared, work](std::exception_ptr ep) mutable {
          // Moved out, so that a completion kept after its call (say, in a request that the
          // awaiting coroutine still holds) does not keep that coroutine alive in a cycle.
          auto ex = work.get_executor();
          boost::asio::post(ex, [shared = std::move(shared), ep, work = std::move(work)]() mutable {
            (*shared)(ep);
          });
        }));
      },
      boost::asio::use_awaitable);
}

// Awaits `submit(out, completion)` and returns what the work put in `*out` before completing.
// The awaiting coroutine holds `out` only, never the request that holds the completion.
template <typename T, typename Submit>
boost::asio::awaitable<T> await_result(Submit submit) {
  auto out = std::make_shared<T>();
  co_await await_completion([&](Completion done) { submit(out, std::move(done)); });
  co_return std::move(*out);
}

// Runs `fn(resource)` through `submit(job, completion)` and returns its result.
template <typename R, typename Resource, typename SubmitJob>
boost::asio::awaitable<R> await_job(SubmitJob submit_job, std::function<R(Resource&)> fn) {
  auto result = co_await await_result<std::optional<R>>([&](std::shared_ptr<std::optional<R>> out,
                                                            Completion done) {
    submit_job([fn = std::move(fn), out](Resource& r) { out->emplace(fn(r)); }, std::move(done));
  });
  co_return std::move(*result);
}

}  // namespace orderflow
