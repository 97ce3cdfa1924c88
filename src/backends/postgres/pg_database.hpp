#pragma once
#include "backends/sql/sql_database.hpp"
#include "drivers/pg/pool.hpp"
#include "drivers/pg/replicas.hpp"

namespace orderflow::backends {

using PgDatabase = SqlDatabase<pg::Pool, pg::ReadRouter>;

}  // namespace orderflow::backends
