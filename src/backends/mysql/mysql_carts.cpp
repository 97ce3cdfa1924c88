#include "backends/mysql/mysql_carts.hpp"

#include "backends/mysql/mysql_schema.hpp"
#include "backends/sql/sql_carts.hpp"

namespace orderflow::backends {

std::unique_ptr<ports::Carts> make_mysql_carts(mysql::Pool& pool, std::chrono::milliseconds ttl) {
  return make_sql_carts(pool, mysql_sql(), ttl, [](std::int64_t n) { return mysql::Param(n); });
}

}  // namespace orderflow::backends
