#pragma once
#include <memory>

#include "backends/postgres/pg_database.hpp"
#include "backends/postgres/pg_dialect.hpp"
#include "backends/postgres/pg_queue.hpp"
#include "backends/sql/sql_orders.hpp"
#include "core/ports/intake.hpp"

namespace orderflow::backends {

// Orders on PostgreSQL: by id from the primary, lists and totals through the replicas.
using PgOrders = SqlOrders<PgDatabase, PgDialect>;

// The intake when the queue is PgQueue in the same database: the intake record and the
// message in one transaction, concurrent accepts sent as one transaction (group commit).
std::unique_ptr<ports::Intake> make_pg_intake(pg::Pool& pool, PgQueue& queue);
// The intake when the queue is in another system (SQS): the intake records here, stored before
// the queue takes the messages (backends/sql/sql_intake.hpp, IntakeBeforeQueue).
std::unique_ptr<ports::Intake> make_pg_intake_before_queue(pg::Pool& pool, queue::Queue& queue);

}  // namespace orderflow::backends
