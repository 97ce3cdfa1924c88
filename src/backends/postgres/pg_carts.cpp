#include "backends/postgres/pg_carts.hpp"

#include "backends/postgres/pg_params.hpp"
#include "backends/postgres/pg_schema.hpp"
#include "backends/sql/sql_carts.hpp"

namespace orderflow::backends {

std::unique_ptr<ports::Carts> make_pg_carts(pg::Pool& pool, std::chrono::milliseconds ttl) {
  return make_sql_carts(pool, pg_sql(), ttl, [](std::int64_t n) { return text_of(n); });
}

}  // namespace orderflow::backends
