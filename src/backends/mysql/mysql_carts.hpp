#pragma once
#include <chrono>
#include <memory>

#include "core/ports/carts.hpp"
#include "drivers/mysql/pool.hpp"

namespace orderflow::backends {

std::unique_ptr<ports::Carts> make_mysql_carts(mysql::Pool& pool, std::chrono::milliseconds ttl);

}  // namespace orderflow::backends
