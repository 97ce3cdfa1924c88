-- The queue, the intake, orders and their events, categories and products.
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
