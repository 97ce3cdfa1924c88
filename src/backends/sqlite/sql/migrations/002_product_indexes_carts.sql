-- Product list indexes; carts.
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
