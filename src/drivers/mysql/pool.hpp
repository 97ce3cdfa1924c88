#pragma once
#include "drivers/mysql/connection.hpp"
#include "drivers/sqlclient/pool.hpp"

namespace orderflow::mysql {

using PoolOptions = sqlclient::PoolOptions;
using PoolStats = sqlclient::PoolStats;
// A MySQL connection runs one request at a time: requests go to an idle connection first, and
// queue on the least loaded one when every slot is busy.
using Pool = sqlclient::Pool<Connection>;

}  // namespace orderflow::mysql
