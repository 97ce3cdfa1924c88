#pragma once
#include "drivers/mysql/pool.hpp"
#include "drivers/sqlclient/transaction.hpp"

namespace orderflow::mysql {

using sqlclient::in_transaction;

}  // namespace orderflow::mysql
