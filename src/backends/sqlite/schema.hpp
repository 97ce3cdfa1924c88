#pragma once
#include "drivers/sqlite/connection.hpp"

namespace orderflow::sqlite {

// Brings the schema to the current version (PRAGMA user_version); safe to run at every start.
void migrate(Connection& c);

}  // namespace orderflow::sqlite
