#pragma once
#include <chrono>
#include <memory>

#include "core/ports/carts.hpp"
#include "drivers/pg/pool.hpp"

namespace orderflow::backends {

std::unique_ptr<ports::Carts> make_pg_carts(pg::Pool& pool, std::chrono::milliseconds ttl);

}  // namespace orderflow::backends
