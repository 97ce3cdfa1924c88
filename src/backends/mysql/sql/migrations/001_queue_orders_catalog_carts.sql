-- The queue, the intake, orders and their events, categories, products and carts, as on
-- PostgreSQL: times are epoch milliseconds and money integer cents. InnoDB, utf8mb4, binary
-- collation (ids and keys compare byte for byte, as on the other databases). Identifiers the
-- API lets a client choose are at most 255 characters (core/domain); an Idempotency-Key may be
-- longer, so it is unique by its SHA-256 (a stored generated column: MySQL 8.0 and MariaDB).
CREATE TABLE queue_messages (
  seq              BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
  message_id       VARCHAR(64) NOT NULL UNIQUE,
  queue_name       VARCHAR(255) NOT NULL,
  group_id         VARCHAR(255) NOT NULL,
  dedup_id         VARCHAR(255) NOT NULL,
  body             MEDIUMTEXT NOT NULL,
  sent_at          BIGINT NOT NULL,
  visible_at       BIGINT NOT NULL,
  receive_count    INT NOT NULL DEFAULT 0,
  receipt          VARCHAR(64),
  in_dlq           BOOLEAN NOT NULL DEFAULT FALSE,
  last_error       TEXT,
  dead_lettered_at BIGINT,
  INDEX queue_messages_live (queue_name, in_dlq, seq),
  INDEX queue_messages_group (queue_name, in_dlq, group_id, seq),
  INDEX queue_messages_in_flight (queue_name, in_dlq, receipt, visible_at)
) ENGINE=InnoDB;
CREATE TABLE queue_dedup (
  queue_name VARCHAR(255) NOT NULL,
  dedup_id   VARCHAR(255) NOT NULL,
  message_id VARCHAR(64) NOT NULL,
  expires_at BIGINT NOT NULL,
  PRIMARY KEY (queue_name, dedup_id)
) ENGINE=InnoDB;
-- Counters per queue instance (node) and lane: processes do not contend on one hot row.
CREATE TABLE queue_counters (
  queue_name    VARCHAR(255) NOT NULL,
  node          VARCHAR(100) NOT NULL,
  sent          BIGINT NOT NULL DEFAULT 0,
  received      BIGINT NOT NULL DEFAULT 0,
  deleted       BIGINT NOT NULL DEFAULT 0,
  deduplicated  BIGINT NOT NULL DEFAULT 0,
  retried       BIGINT NOT NULL DEFAULT 0,
  dead_lettered BIGINT NOT NULL DEFAULT 0,
  PRIMARY KEY (queue_name, node)
) ENGINE=InnoDB;
-- Messages applied from a queue outside this database (QUEUE_BACKEND=redis). `batch` names the
-- batch that claimed a message: without RETURNING, a batch finds its claims by it.
CREATE TABLE queue_inbox (
  message_id VARCHAR(64) NOT NULL PRIMARY KEY,
  applied_at BIGINT NOT NULL,
  batch      VARCHAR(64) NOT NULL,
  INDEX queue_inbox_applied (applied_at)
) ENGINE=InnoDB;
CREATE TABLE order_intake (
  order_id        VARCHAR(255) NOT NULL PRIMARY KEY,
  idempotency_key TEXT,
  key_hash        BINARY(32) AS (UNHEX(SHA2(idempotency_key, 256))) STORED,
  request_hash    VARCHAR(64) NOT NULL,
  request         MEDIUMTEXT NOT NULL,
  message_id      VARCHAR(64) NOT NULL,
  state           VARCHAR(16) NOT NULL DEFAULT 'queued',
  created_at      BIGINT NOT NULL,
  UNIQUE INDEX order_intake_key (key_hash),
  INDEX order_intake_created (created_at)
) ENGINE=InnoDB;
CREATE TABLE orders (
  order_id         VARCHAR(255) NOT NULL PRIMARY KEY,
  status           VARCHAR(32) NOT NULL,
  customer_id      VARCHAR(255),
  customer_name    VARCHAR(255),
  customer_email   VARCHAR(255),
  currency         VARCHAR(8) NOT NULL,
  items            MEDIUMTEXT NOT NULL,
  subtotal         BIGINT NOT NULL,
  tax              BIGINT NOT NULL,
  total            BIGINT NOT NULL,
  failure_reason   TEXT,
  session_id       VARCHAR(255),
  payment_method   VARCHAR(64) NOT NULL,
  shipping_address TEXT NOT NULL,
  created_at       BIGINT NOT NULL,
  updated_at       BIGINT NOT NULL,
  processed_at     BIGINT,
  version          BIGINT NOT NULL,
  INDEX orders_created (created_at),
  INDEX orders_status_created (status, created_at),
  INDEX orders_customer_created (customer_id, created_at),
  INDEX orders_email_created (customer_email, created_at),
  INDEX orders_session_created (session_id, created_at)
) ENGINE=InnoDB;
CREATE TABLE order_events (
  order_id VARCHAR(255) NOT NULL,
  seq      INT NOT NULL,
  type     VARCHAR(64) NOT NULL,
  at       BIGINT NOT NULL,
  data     TEXT NOT NULL,
  PRIMARY KEY (order_id, seq)
) ENGINE=InnoDB;
CREATE TABLE categories (
  slug       VARCHAR(64) NOT NULL PRIMARY KEY,
  name       VARCHAR(255) NOT NULL,
  created_at BIGINT NOT NULL
) ENGINE=InnoDB;
CREATE TABLE products (
  product_id  VARCHAR(255) NOT NULL PRIMARY KEY,
  sku         VARCHAR(255) NOT NULL UNIQUE,
  name        VARCHAR(255) NOT NULL,
  description TEXT NOT NULL,
  price       BIGINT NOT NULL,
  category    VARCHAR(64),
  stock       BIGINT NOT NULL,
  reserved    BIGINT NOT NULL DEFAULT 0,
  created_at  BIGINT NOT NULL,
  updated_at  BIGINT NOT NULL,
  CONSTRAINT products_category_fk FOREIGN KEY (category) REFERENCES categories(slug),
  CONSTRAINT products_stock CHECK (stock >= 0),
  CONSTRAINT products_reserved CHECK (reserved >= 0 AND reserved <= stock),
  INDEX products_price (price),
  INDEX products_created (created_at)
) ENGINE=InnoDB;
CREATE TABLE carts (
  session_id VARCHAR(255) NOT NULL PRIMARY KEY,
  updated_at BIGINT NOT NULL,
  INDEX carts_updated (updated_at)
) ENGINE=InnoDB;
CREATE TABLE cart_items (
  session_id VARCHAR(255) NOT NULL,
  product_id VARCHAR(255) NOT NULL,
  quantity   INT NOT NULL,
  added_at   BIGINT NOT NULL,
  PRIMARY KEY (session_id, product_id),
  CONSTRAINT cart_items_cart_fk FOREIGN KEY (session_id) REFERENCES carts(session_id)
    ON DELETE CASCADE,
  CONSTRAINT cart_items_quantity CHECK (quantity > 0)
) ENGINE=InnoDB;
