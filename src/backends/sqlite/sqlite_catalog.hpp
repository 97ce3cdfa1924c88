#pragma once
#include <memory>

#include "core/ports/catalog.hpp"
#include "drivers/sqlite/database.hpp"

namespace orderflow::backends {

// The catalog in the SQLite file: writes on the writer connection, lists on the readers.
std::unique_ptr<ports::Catalog> make_sqlite_catalog(sqlite::Database& db);

}  // namespace orderflow::backends
