-- The migration runner's own statements (migrate_postgres).

-- Serialises migrations across processes ("orderflow" in ASCII).
-- name: lock_migrations
SELECT pg_advisory_xact_lock(7021800207081650295)

-- name: create_schema_migrations
CREATE TABLE IF NOT EXISTS schema_migrations (
  version    INTEGER PRIMARY KEY,
  applied_at TIMESTAMPTZ NOT NULL DEFAULT now())

-- name: schema_version
SELECT COALESCE(MAX(version), 0) AS v FROM schema_migrations

-- name: record_migration
INSERT INTO schema_migrations(version) VALUES ($1)
