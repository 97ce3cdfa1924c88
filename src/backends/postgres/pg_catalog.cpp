#include "backends/postgres/pg_catalog.hpp"

#include "backends/postgres/pg_dialect.hpp"
#include "backends/postgres/pg_schema.hpp"
#include "backends/sql/sql_catalog.hpp"

namespace orderflow::backends {

std::unique_ptr<ports::Catalog> make_pg_catalog(PgDatabase& db) {
  return make_sql_catalog<PgDialect>(db, pg_sql());
}

}  // namespace orderflow::backends
