#pragma once
// The store on MySQL or MariaDB: orders, the intake, the catalog and the worker's batches, as
// the shared SQL code (backends/sql) with MySQL's statements.
#include <memory>

#include "backends/mysql/mysql_database.hpp"
#include "backends/mysql/mysql_dialect.hpp"
#include "backends/mysql/mysql_queue.hpp"
#include "backends/sql/sql_orders.hpp"
#include "core/ports/batch_applier.hpp"
#include "core/ports/catalog.hpp"
#include "core/ports/intake.hpp"

namespace orderflow::backends {

using MysqlOrders = SqlOrders<MysqlDatabase, MysqlDialect>;

std::unique_ptr<ports::Catalog> make_mysql_catalog(MysqlDatabase& db);

// The intake when the queue is MysqlQueue in the same database: a group of concurrent accepts,
// their messages and intake records, in one transaction.
std::unique_ptr<ports::Intake> make_mysql_intake(mysql::Pool& pool, MysqlQueue& queue);
// The intake when the queue is in another system (SQS): the intake records here, stored before
// the queue takes the messages (backends/sql/sql_intake.hpp, IntakeBeforeQueue).
std::unique_ptr<ports::Intake> make_mysql_intake_before_queue(mysql::Pool& pool,
                                                              queue::Queue& queue);

// Batches applied in one transaction that also deletes their messages (the queue in this
// database), or records them in the inbox table (the queue elsewhere).
std::unique_ptr<ports::BatchApplier> make_mysql_batch_applier(MysqlDatabase& db, MysqlQueue& queue);
std::unique_ptr<ports::BatchApplier> make_mysql_inbox_applier(MysqlDatabase& db, bool intake_here);

}  // namespace orderflow::backends
