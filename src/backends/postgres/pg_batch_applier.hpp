#pragma once
#include <memory>

#include "backends/postgres/pg_database.hpp"
#include "backends/postgres/pg_queue.hpp"
#include "core/ports/batch_applier.hpp"

namespace orderflow::backends {

// Applies a batch in one PostgreSQL transaction (backends/sql/sql_batch_applier.hpp). With the
// queue in the same database the messages are deleted in that transaction (exactly-once
// effects); with the queue elsewhere their ids are recorded in the inbox table, and a message
// found there is reported as already_applied.
std::unique_ptr<ports::BatchApplier> make_pg_batch_applier(PgDatabase& db, PgQueue& queue);
std::unique_ptr<ports::BatchApplier> make_pg_inbox_applier(PgDatabase& db, bool intake_here);

}  // namespace orderflow::backends
