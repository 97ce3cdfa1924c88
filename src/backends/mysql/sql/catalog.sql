-- Categories and products (backends/sql/sql_catalog.hpp). Values come in the order the shared
-- code gives them (PostgreSQL's numbering): where MySQL's positional "?" would need another
-- order, an UPDATE takes its key from a one-row derived table first.

-- name: categories_with_counts
SELECT c.slug, c.name, count(p.product_id) AS product_count
FROM categories c
  LEFT JOIN products p ON p.category = c.slug
GROUP BY c.slug, c.name
ORDER BY c.name, c.slug

-- IGNORE: an existing slug is not an error, and counts 0 rows (values are validated before).
-- name: insert_category_if_new
INSERT IGNORE INTO categories(slug, name, created_at)
VALUES (?, ?, ?)

-- updated_at repeats created_at: a VALUES list may name a column set before it.
-- name: insert_product
INSERT INTO products(product_id, sku, name, description, price, category, stock, reserved,
  created_at, updated_at)
VALUES (?, ?, ?, ?, ?, ?, ?, 0, ?, created_at)

-- name: sku_taken_by_other
SELECT 1
FROM products
WHERE sku = ? AND product_id <> ?

-- name: category_exists
SELECT 1
FROM categories
WHERE slug = ?

-- name: update_product
UPDATE products p
  JOIN (SELECT ? AS product_id) k ON k.product_id = p.product_id
  SET p.sku = ?, p.name = ?, p.description = ?, p.price = ?, p.category = ?, p.stock = ?,
      p.updated_at = ?

-- name: set_product_stock
UPDATE products p
  JOIN (SELECT ? AS product_id) k ON k.product_id = p.product_id
  SET p.stock = ?, p.updated_at = ?

-- name: delete_product
DELETE FROM products
WHERE product_id = ?

-- Serialises demo seeding across processes for the rest of the transaction: the row of the
-- first migration always exists.
-- name: lock_demo_seed
SELECT version FROM schema_migrations WHERE version = 1 FOR UPDATE

-- name: catalog_row_count
SELECT (SELECT count(*) FROM products) + (SELECT count(*) FROM categories) AS n

-- name: insert_category
INSERT INTO categories(slug, name, created_at)
VALUES (?, ?, ?)

-- name: find_product
SELECT p.product_id, p.sku, p.name, p.description, p.price, p.category,
  COALESCE(c.name, p.category) AS category_name, p.stock, p.reserved, p.created_at, p.updated_at
FROM products p LEFT JOIN categories c ON c.slug = p.category
WHERE p.product_id = ?

-- The category's name by a subquery, which a locking read does not lock: only the product's
-- row is (MariaDB has no FOR UPDATE OF).
-- name: lock_product
SELECT p.product_id, p.sku, p.name, p.description, p.price, p.category,
  COALESCE((SELECT c.name FROM categories c WHERE c.slug = p.category), p.category)
    AS category_name,
  p.stock, p.reserved, p.created_at, p.updated_at
FROM products p
WHERE p.product_id = ?
FOR UPDATE

-- name: find_products
SELECT p.product_id, p.sku, p.name, p.description, p.price, p.category,
  COALESCE(c.name, p.category) AS category_name, p.stock, p.reserved, p.created_at, p.updated_at
FROM products p LEFT JOIN categories c ON c.slug = p.category
WHERE p.product_id IN ({ids})

-- The list's filters and order are appended by SqlCatalog::list_products.
-- name: count_products
SELECT count(*) AS count FROM products p WHERE TRUE

-- name: list_products
SELECT p.product_id, p.sku, p.name, p.description, p.price, p.category,
  COALESCE(c.name, p.category) AS category_name, p.stock, p.reserved, p.created_at, p.updated_at
FROM products p LEFT JOIN categories c ON c.slug = p.category
WHERE TRUE
