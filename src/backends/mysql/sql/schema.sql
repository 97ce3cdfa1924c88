-- The migration runner's own statements (migrate_mysql). MySQL's DDL commits by itself, so
-- migrations cannot be one transaction: a named lock serialises processes instead, and each
-- version is recorded as soon as its statements have run.

-- name: lock_migrations
SELECT GET_LOCK('orderflow_migrations', 60) AS locked

-- name: unlock_migrations
SELECT RELEASE_LOCK('orderflow_migrations') AS released

-- name: create_schema_migrations
CREATE TABLE IF NOT EXISTS schema_migrations (
  version    INT NOT NULL PRIMARY KEY,
  applied_at TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP
) ENGINE=InnoDB

-- name: schema_version
SELECT COALESCE(MAX(version), 0) AS v FROM schema_migrations

-- name: record_migration
INSERT INTO schema_migrations(version) VALUES (?)

-- name: ping
SELECT 1 AS ok
