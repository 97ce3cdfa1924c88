#pragma once
#include <memory>

#include "backends/postgres/pg_database.hpp"
#include "core/ports/catalog.hpp"

namespace orderflow::backends {

// The catalog in PostgreSQL: writes on the primary, lists on a replica when there is one.
std::unique_ptr<ports::Catalog> make_pg_catalog(PgDatabase& db);

}  // namespace orderflow::backends
