#include "backends/sqlite/schema.hpp"

#include <array>
#include <string>

namespace orderflow::sqlite {

namespace {
// Each entry moves the schema one version up. Never edit a released entry: append a new one.
constexpr std::array<const char*, 2> kMigrations = {R"sql(
CREATE TABLE queue_messages (
  seq           INTEGER PRIMARY KEY AUTOINCREMENT,
  message_id    TEXT NOT NULL UNIQUE,
  queue_name    TEXT NOT NULL,
  group_id      TEXT NOT NULL,
  dedup_id      TEXT NOT NULL,
  body          TEXT NOT NULL,
  sent_at       INTEGER NOT NULL,
  visible_at    INTEGER NOT NULL,
  receive_count INTEGER NOT NULL DEFAULT 0,
  receipt       TEXT,
  in_dlq        INTEGER NOT NULL DEFAULT 0,
  last_error    TEXT,
  dead_lettered_at INTEGER
);
CREATE INDEX queue_messages_order ON queue_messages(queue_name, in_dlq, seq);
CREATE INDEX queue_messages_group ON queue_messages(queue_name, in_dlq, group_id, seq);
CREATE TABLE queue_dedup (
  queue_name TEXT NOT NULL,
  dedup_id   TEXT NOT NULL,
  message_id TEXT NOT NULL,
  expires_at INTEGER NOT NULL,
  PRIMARY KEY (queue_name, dedup_id)
) WITHOUT ROWID;
CREATE TABLE queue_counters (
  queue_name    TEXT PRIMARY KEY,
  sent          INTEGER NOT NULL DEFAULT 0,
  received      INTEGER NOT NULL DEFAULT 0,
  deleted       INTEGER NOT NULL DEFAULT 0,
  deduplicated  INTEGER NOT NULL DEFAULT 0,
  retried       INTEGER NOT NULL DEFAULT 0,
  dead_lettered INTEGER NOT NULL DEFAULT 0
) WITHOUT ROWID;

CREATE TABLE order_intake (
  order_id        TEXT PRIMARY KEY,
  idempotency_key TEXT UNIQUE,
  request_hash    TEXT NOT NULL,
  request         TEXT NOT NULL,
  message_id      TEXT NOT NULL,
  state           TEXT NOT NULL DEFAULT 'queued',
  created_at      INTEGER NOT NULL
) WITHOUT ROWID;
CREATE INDEX order_intake_created ON order_intake(created_at);

CREATE TABLE orders (
  order_id         TEXT PRIMARY KEY,
  status           TEXT NOT NULL,
  customer_id      TEXT,
  customer_name    TEXT,
  customer_email   TEXT,
  currency         TEXT NOT NULL,
  items            TEXT NOT NULL,
  subtotal         INTEGER NOT NULL,
  tax              INTEGER NOT NULL,
  total            INTEGER NOT NULL,
  failure_reason   TEXT,
  session_id       TEXT,
  payment_method   TEXT NOT NULL,
  shipping_address TEXT NOT NULL,
  created_at       INTEGER NOT NULL,
  updated_at       INTEGER NOT NULL,
  processed_at     INTEGER,
  version          INTEGER NOT NULL
);
CREATE INDEX orders_created ON orders(created_at);
CREATE INDEX orders_status_created ON orders(status, created_at);
CREATE INDEX orders_customer_created ON orders(customer_id, created_at);
CREATE INDEX orders_email_created ON orders(customer_email, created_at);
CREATE INDEX orders_session_created ON orders(session_id, created_at);

CREATE TABLE order_events (
  order_id TEXT NOT NULL,
  seq      INTEGER NOT NULL,
  type     TEXT NOT NULL,
  at       INTEGER NOT NULL,
  data     TEXT NOT NULL,
  PRIMARY KEY (order_id, seq)
) WITHOUT ROWID;

CREATE TABLE categories (
  slug       TEXT PRIMARY KEY,
  name       TEXT NOT NULL,
  created_at INTEGER NOT NULL
);
CREATE TABLE products (
  product_id  TEXT PRIMARY KEY,
  sku         TEXT NOT NULL UNIQUE,
  name        TEXT NOT NULL,
  description TEXT NOT NULL DEFAULT '',
  price       INTEGER NOT NULL,
  category    TEXT REFERENCES categories(slug),
  stock       INTEGER NOT NULL CHECK (stock >= 0),
  reserved    INTEGER NOT NULL DEFAULT 0 CHECK (reserved >= 0 AND reserved <= stock),
  created_at  INTEGER NOT NULL,
  updated_at  INTEGER NOT NULL
);
)sql",
                                                    R"sql(
CREATE INDEX products_category ON products(category);
CREATE INDEX products_price ON products(price);
CREATE INDEX products_created ON products(created_at);
CREATE TABLE carts (
  session_id TEXT PRIMARY KEY,
  updated_at INTEGER NOT NULL
) WITHOUT ROWID;
CREATE INDEX carts_updated ON carts(updated_at);
CREATE TABLE cart_items (
  session_id TEXT NOT NULL REFERENCES carts(session_id) ON DELETE CASCADE,
  product_id TEXT NOT NULL,
  quantity   INTEGER NOT NULL CHECK (quantity > 0),
  added_at   INTEGER NOT NULL,
  PRIMARY KEY (session_id, product_id)
) WITHOUT ROWID;
)sql"};
}  // namespace

void migrate(Connection& c) {
  c.exec_script("BEGIN IMMEDIATE");
  try {
    auto cur = c.query("PRAGMA user_version");
    cur.next();
    const auto version = static_cast<std::size_t>(cur.integer(0));
    for (std::size_t v = version; v < kMigrations.size(); ++v) c.exec_script(kMigrations[v]);
    c.exec_script("PRAGMA user_version = " + std::to_string(kMigrations.size()));
    c.exec_script("COMMIT");
  } catch (...) {
    c.exec_script("ROLLBACK");
    throw;
  }
}

}  // namespace orderflow::sqlite
