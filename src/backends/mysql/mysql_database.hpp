#pragma once
#include "backends/sql/sql_database.hpp"
#include "drivers/mysql/pool.hpp"
#include "drivers/mysql/replicas.hpp"

namespace orderflow::backends {

using MysqlDatabase = SqlDatabase<mysql::Pool, mysql::ReadRouter>;

}  // namespace orderflow::backends
