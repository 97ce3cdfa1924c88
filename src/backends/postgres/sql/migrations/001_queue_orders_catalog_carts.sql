-- The queue, the intake, orders and their events, categories, products and carts. Times are
-- epoch milliseconds and money integer cents, as in the SQLite schema.
CREATE TABLE queue_messages (
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
  dead_lettered_at BIGINT);
CREATE INDEX queue_messages_group ON queue_messages(queue_name, in_dlq, group_id, seq);
CREATE INDEX queue_messages_visible ON queue_messages(queue_name, in_dlq, visible_at);
CREATE TABLE queue_dedup (
  queue_name TEXT NOT NULL,
  dedup_id   TEXT NOT NULL,
  message_id TEXT NOT NULL,
  expires_at BIGINT NOT NULL,
  PRIMARY KEY (queue_name, dedup_id));
CREATE TABLE queue_counters (
  queue_name    TEXT PRIMARY KEY,
  sent          BIGINT NOT NULL DEFAULT 0,
  received      BIGINT NOT NULL DEFAULT 0,
  deleted       BIGINT NOT NULL DEFAULT 0,
  deduplicated  BIGINT NOT NULL DEFAULT 0,
  retried       BIGINT NOT NULL DEFAULT 0,
  dead_lettered BIGINT NOT NULL DEFAULT 0);
CREATE TABLE order_intake (
  order_id        TEXT PRIMARY KEY,
  idempotency_key TEXT UNIQUE,
  request_hash    TEXT NOT NULL,
  request         TEXT NOT NULL,
  message_id      TEXT NOT NULL,
  state           TEXT NOT NULL DEFAULT 'queued',
  created_at      BIGINT NOT NULL);
CREATE INDEX order_intake_created ON order_intake(created_at);
CREATE TABLE orders (
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
  version          BIGINT NOT NULL);
CREATE INDEX orders_created ON orders(created_at);
CREATE INDEX orders_status_created ON orders(status, created_at);
CREATE INDEX orders_customer_created ON orders(customer_id, created_at);
CREATE INDEX orders_email_created ON orders(customer_email, created_at);
CREATE INDEX orders_session_created ON orders(session_id, created_at);
CREATE TABLE order_events (
  order_id TEXT NOT NULL,
  seq      INTEGER NOT NULL,
  type     TEXT NOT NULL,
  at       BIGINT NOT NULL,
  data     TEXT NOT NULL,
  PRIMARY KEY (order_id, seq));
CREATE TABLE categories (
  slug       TEXT PRIMARY KEY,
  name       TEXT NOT NULL,
  created_at BIGINT NOT NULL);
CREATE TABLE products (
  product_id  TEXT PRIMARY KEY,
  sku         TEXT NOT NULL UNIQUE,
  name        TEXT NOT NULL,
  description TEXT NOT NULL DEFAULT '',
  price       BIGINT NOT NULL,
  category    TEXT REFERENCES categories(slug),
  stock       BIGINT NOT NULL CHECK (stock >= 0),
  reserved    BIGINT NOT NULL DEFAULT 0 CHECK (reserved >= 0 AND reserved <= stock),
  created_at  BIGINT NOT NULL,
  updated_at  BIGINT NOT NULL);
CREATE INDEX products_category ON products(category);
CREATE INDEX products_price ON products(price);
CREATE INDEX products_created ON products(created_at);
CREATE TABLE carts (
  session_id TEXT PRIMARY KEY,
  updated_at BIGINT NOT NULL);
CREATE INDEX carts_updated ON carts(updated_at);
CREATE TABLE cart_items (
  session_id TEXT NOT NULL REFERENCES carts(session_id) ON DELETE CASCADE,
  product_id TEXT NOT NULL,
  quantity   INTEGER NOT NULL CHECK (quantity > 0),
  added_at   BIGINT NOT NULL,
  PRIMARY KEY (session_id, product_id));
