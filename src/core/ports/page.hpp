#pragma once
#include <cstdint>
#include <vector>

namespace orderflow::ports {

// One page of a list, and how many items the whole list holds.
template <typename T>
struct Page {
  std::vector<T> data;
  std::int64_t total = 0;
};

}  // namespace orderflow::ports
