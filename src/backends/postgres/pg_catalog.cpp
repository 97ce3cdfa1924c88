#include "backends/postgres/pg_catalog.hpp"

#include "backends/postgres/pg_dialect.hpp"
#include "backends/sql/sql_catalog.hpp"

namespace orderflow::backends {

std::unique_ptr<ports::Catalog> make_pg_catalog(PgDatabase& db) {
  return make_sql_catalog<PgDialect>(db);
}

}  // namespace orderflow::backends
