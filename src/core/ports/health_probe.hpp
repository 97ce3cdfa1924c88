#pragma once
#include <boost/asio/awaitable.hpp>

namespace orderflow::ports {

// A dependency the service cannot run without, checked for /health and /api/health.
class HealthProbe {
 public:
  virtual ~HealthProbe() = default;
  // Throws when the dependency cannot serve what the service needs of it.
  virtual boost::asio::awaitable<void> ping() = 0;
};

}  // namespace orderflow::ports
