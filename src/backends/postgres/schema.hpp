#pragma once
#include <boost/asio/awaitable.hpp>

#include "drivers/pg/pool.hpp"

namespace orderflow::pg {

// Brings the PostgreSQL schema to the current version and returns it. Safe when several
// processes start at once: a transaction-scoped advisory lock lets one migrate while the others
// wait, then find nothing left to do.
boost::asio::awaitable<int> migrate(Pool& pool);

// The version migrate() brings a database to.
int schema_version();

}  // namespace orderflow::pg
