#pragma once
#include <boost/asio/awaitable.hpp>

#include <functional>
#include <optional>
#include <string>

#include "core/ports/cache.hpp"

namespace orderflow::cache {

// Returns the cached value of `key`, or loads it, stores it (unless the key was invalidated
// while loading) and returns it. `slide` makes the TTL sliding.
inline boost::asio::awaitable<std::string> get_or_load(
    Cache& cache, std::string key, milliseconds ttl, bool slide,
    std::function<boost::asio::awaitable<std::string>()> load) {
  const std::optional<milliseconds> refresh =
      slide ? std::optional<milliseconds>(ttl) : std::nullopt;
  auto hit = co_await cache.get(key, refresh);
  if (hit.value) co_return std::move(*hit.value);
  auto value = co_await load();
  co_await cache.put(std::move(key), value, ttl, hit.stamp);
  co_return value;
}

}  // namespace orderflow::cache
