#include "backends/postgres/schema.hpp"

#include <array>
#include <vector>

namespace orderflow::pg {

namespace asio = boost::asio;

namespace {

// Serialises migrations across processes ("orderflow" in ASCII).
constexpr const char* kMigrationLock = "SELECT pg_advisory_xact_lock(7021800207081650295)";

// Each entry moves the schema one version up: single statements (the extended protocol runs one
// command per statement). Never edit a released entry: append a new one. Times are epoch
// milliseconds and money integer cents, as in the SQLite schema.
const std::vector<std::vector<const char*>> kMigrations = {
    {
        R"sql(CREATE TABLE queue_messages (
      seq              BIGSERIAL PRIMARY KEY,
      message_id       TEXT NOT NULL UNIQUE,
      queue_name       TEXT NOT NULL,
      group_id         TEXT NOT NULL,
      dedup_id         TEXT NOT NULL,
      body             TEXT NOT NULL,
      sent_at          BIGINT NOT NULL,
      visible_at       BIGINT NOT NULL,
      receive_count    INTEGER NOT NULL DEFAULT 0,
      receipt          TEXT,
      in_dlq           BOOLEAN NOT NULL DEFAULT FALSE,
      last_error       TEXT,
      dead_lettered_at BIGINT))sql",
        "CREATE INDEX queue_messages_group ON queue_messages(queue_name, in_dlq, group_id, seq)",
        "CREATE INDEX queue_messages_visible ON queue_messages(queue_name, in_dlq, visible_at)",
        R"sql(CREATE TABLE queue_dedup (
      queue_name TEXT NOT NULL,
      dedup_id   TEXT NOT NULL,
      message_id TEXT NOT NULL,
      expires_at BIGINT NOT NULL,
      PRIMARY KEY (queue_name, dedup_id)))sql",
        R"sql(CREATE TABLE queue_counters (
      queue_name    TEXT PRIMARY KEY,
      sent          BIGINT NOT NULL DEFAULT 0,
      received      BIGINT NOT NULL DEFAULT 0,
      deleted       BIGINT NOT NULL DEFAULT 0,
      deduplicated  BIGINT NOT NULL DEFAULT 0,
      retried       BIGINT NOT NULL DEFAULT 0,
      dead_lettered BIGINT NOT NULL DEFAULT 0))sql",
        R"sql(CREATE TABLE order_intake (
      order_id        TEXT PRIMARY KEY,
      idempotency_key TEXT UNIQUE,
      request_hash    TEXT NOT NULL,
      request         TEXT NOT NULL,
      message_id      TEXT NOT NULL,
      state           TEXT NOT NULL DEFAULT 'queued',
      created_at      BIGINT NOT NULL))sql",
        "CREATE INDEX order_intake_created ON order_intake(created_at)",
        R"sql(CREATE TABLE orders (
      order_id         TEXT PRIMARY KEY,
      status           TEXT NOT NULL,
      customer_id      TEXT,
      customer_name    TEXT,
      customer_email   TEXT,
      currency         TEXT NOT NULL,
      items            TEXT NOT NULL,
      subtotal         BIGINT NOT NULL,
      tax              BIGINT NOT NULL,
      total            BIGINT NOT NULL,
      failure_reason   TEXT,
      session_id       TEXT,
      payment_method   TEXT NOT NULL,
      shipping_address TEXT NOT NULL,
      created_at       BIGINT NOT NULL,
      updated_at       BIGINT NOT NULL,
      processed_at     BIGINT,
      version          BIGINT NOT NULL))sql",
        "CREATE INDEX orders_created ON orders(created_at)",
        "CREATE INDEX orders_status_created ON orders(status, created_at)",
        "CREATE INDEX orders_customer_created ON orders(customer_id, created_at)",
        "CREATE INDEX orders_email_created ON orders(customer_email, created_at)",
        "CREATE INDEX orders_session_created ON orders(session_id, created_at)",
        R"sql(CREATE TABLE order_events (
      order_id TEXT NOT NULL,
      seq      INTEGER NOT NULL,
      type     TEXT NOT NULL,
      at       BIGINT NOT NULL,
      data     TEXT NOT NULL,
      PRIMARY KEY (order_id, seq)))sql",
        R"sql(CREATE TABLE categories (
      slug       TEXT PRIMARY KEY,
      name       TEXT NOT NULL,
      created_at BIGINT NOT NULL))sql",
        R"sql(CREATE TABLE products (
      product_id  TEXT PRIMARY KEY,
      sku         TEXT NOT NULL UNIQUE,
      name        TEXT NOT NULL,
      description TEXT NOT NULL DEFAULT '',
      price       BIGINT NOT NULL,
      category    TEXT REFERENCES categories(slug),
      stock       BIGINT NOT NULL CHECK (stock >= 0),
      reserved    BIGINT NOT NULL DEFAULT 0 CHECK (reserved >= 0 AND reserved <= stock),
      created_at  BIGINT NOT NULL,
      updated_at  BIGINT NOT NULL))sql",
        "CREATE INDEX products_category ON products(category)",
        "CREATE INDEX products_price ON products(price)",
        "CREATE INDEX products_created ON products(created_at)",
        R"sql(CREATE TABLE carts (
      session_id TEXT PRIMARY KEY,
      updated_at BIGINT NOT NULL))sql",
        "CREATE INDEX carts_updated ON carts(updated_at)",
        R"sql(CREATE TABLE cart_items (
      session_id TEXT NOT NULL REFERENCES carts(session_id) ON DELETE CASCADE,
      product_id TEXT NOT NULL,
      quantity   INTEGER NOT NULL CHECK (quantity > 0),
      added_at   BIGINT NOT NULL,
      PRIMARY KEY (session_id, product_id)))sql",
    },
    {
        // Counters per queue instance (node): processes do not contend on one hot row.
        "ALTER TABLE queue_counters ADD COLUMN node TEXT NOT NULL DEFAULT ''",
        "ALTER TABLE queue_counters DROP CONSTRAINT queue_counters_pkey",
        "ALTER TABLE queue_counters ADD PRIMARY KEY (queue_name, node)",
    },
    {
        // Messages applied from a queue outside this database (QUEUE_BACKEND=redis).
        R"sql(CREATE TABLE queue_inbox (
      message_id TEXT PRIMARY KEY,
      applied_at BIGINT NOT NULL))sql",
        "CREATE INDEX queue_inbox_applied ON queue_inbox(applied_at)",
    }};

Statement plain(std::string sql) {
  return Statement{std::move(sql), {}, false};
}

}  // namespace

int schema_version() {
  return static_cast<int>(kMigrations.size());
}

asio::awaitable<int> migrate(Pool& pool) {
  auto lease = co_await pool.lease();
  std::vector<Statement> start;
  start.push_back(plain("BEGIN"));
  start.push_back(plain(kMigrationLock));
  start.push_back(
      plain("CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, "
            "applied_at TIMESTAMPTZ NOT NULL DEFAULT now())"));
  start.push_back(plain("SELECT COALESCE(MAX(version), 0) AS v FROM schema_migrations"));
  const auto started = co_await lease.execute(std::move(start));
  const int current = std::stoi(*started.back().at(0, "v"));
  std::vector<Statement> apply;
  for (int v = current; v < schema_version(); ++v) {
    for (const char* sql : kMigrations[static_cast<std::size_t>(v)]) apply.push_back(plain(sql));
    apply.push_back(
        plain("INSERT INTO schema_migrations(version) VALUES (" + std::to_string(v + 1) + ")"));
  }
  apply.push_back(plain("COMMIT"));
  std::exception_ptr failed;
  try {
    co_await lease.execute(std::move(apply));
  } catch (const QueryError&) {
    failed = std::current_exception();
  }
  if (failed) {
    // The explicit transaction is still open, in an aborted state: end it before the
    // connection goes back to the pool.
    std::vector<Statement> rollback;
    rollback.push_back(plain("ROLLBACK"));
    co_await lease.execute(std::move(rollback));
    std::rethrow_exception(failed);
  }
  co_return schema_version();
}

}  // namespace orderflow::pg
