#pragma once
#include <stdexcept>
#include <string>

namespace orderflow {

// A backend (database, queue, cache) cannot serve right now: busy, locked, out of space,
// unreachable. Answered as 503 with Retry-After; the caller may try again later.
class DependencyUnavailable : public std::runtime_error {
 public:
  DependencyUnavailable(std::string dependency, const std::string& what)
      : std::runtime_error(what), dependency_(std::move(dependency)) {}
  const std::string& dependency() const { return dependency_; }

 private:
  std::string dependency_;
};

}  // namespace orderflow
