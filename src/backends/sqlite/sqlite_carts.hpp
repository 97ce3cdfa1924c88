#pragma once
#include <chrono>
#include <memory>

#include "core/ports/carts.hpp"
#include "drivers/sqlite/database.hpp"

namespace orderflow::backends {

std::unique_ptr<ports::Carts> make_sqlite_carts(sqlite::Database& db,
                                                std::chrono::milliseconds ttl);

}  // namespace orderflow::backends
