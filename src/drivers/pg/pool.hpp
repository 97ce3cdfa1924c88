#pragma once
#include "drivers/pg/connection.hpp"
#include "drivers/sqlclient/pool.hpp"

namespace orderflow::pg {

using PoolOptions = sqlclient::PoolOptions;
using PoolStats = sqlclient::PoolStats;
// Pipelined: many requests share a connection, the least loaded one.
using Pool = sqlclient::Pool<Connection>;

}  // namespace orderflow::pg
