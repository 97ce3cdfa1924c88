#pragma once
#include "drivers/pg/pool.hpp"
#include "drivers/sqlclient/transaction.hpp"

namespace orderflow::pg {

using sqlclient::in_transaction;

}  // namespace orderflow::pg
