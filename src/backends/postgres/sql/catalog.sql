-- Categories and products (PgCatalog).

-- name: categories_with_counts
SELECT c.slug, c.name, count(p.product_id) AS product_count
FROM categories c
  LEFT JOIN products p ON p.category = c.slug
GROUP BY c.slug, c.name
ORDER BY c.name, c.slug

-- name: insert_category_if_new
INSERT INTO categories(slug, name, created_at)
VALUES ($1, $2, $3)
ON CONFLICT DO NOTHING

-- name: insert_product
INSERT INTO products(product_id, sku, name, description, price, category, stock, reserved,
  created_at, updated_at)
VALUES ($1,$2,$3,$4,$5,$6,$7,0,$8,$8)

-- name: sku_taken_by_other
SELECT 1
FROM products
WHERE sku = $1 AND product_id <> $2

-- name: category_exists
SELECT 1
FROM categories
WHERE slug = $1

-- name: update_product
UPDATE products
  SET sku=$2, name=$3, description=$4, price=$5, category=$6, stock=$7, updated_at=$8
WHERE product_id=$1

-- name: set_product_stock
UPDATE products
  SET stock = $2, updated_at = $3
WHERE product_id = $1

-- name: delete_product
DELETE FROM products
WHERE product_id = $1

-- name: lock_demo_seed
SELECT pg_advisory_xact_lock(7021800207081650296)

-- name: catalog_row_count
SELECT (SELECT count(*) FROM products) + (SELECT count(*) FROM categories) AS n

-- name: insert_category
INSERT INTO categories(slug, name, created_at)
VALUES ($1,$2,$3)

-- name: find_product
SELECT p.product_id, p.sku, p.name, p.description, p.price, p.category,
  COALESCE(c.name, p.category) AS category_name, p.stock, p.reserved, p.created_at, p.updated_at
FROM products p LEFT JOIN categories c ON c.slug = p.category
WHERE p.product_id = $1

-- name: lock_product
SELECT p.product_id, p.sku, p.name, p.description, p.price, p.category,
  COALESCE(c.name, p.category) AS category_name, p.stock, p.reserved, p.created_at, p.updated_at
FROM products p LEFT JOIN categories c ON c.slug = p.category
WHERE p.product_id = $1
FOR UPDATE OF p

-- name: find_products
SELECT p.product_id, p.sku, p.name, p.description, p.price, p.category,
  COALESCE(c.name, p.category) AS category_name, p.stock, p.reserved, p.created_at, p.updated_at
FROM products p LEFT JOIN categories c ON c.slug = p.category
WHERE p.product_id = ANY($1::text[])

-- The list's filters and order are appended by PgCatalog::list_products.
-- name: count_products
SELECT count(*) FROM products p WHERE TRUE

-- name: list_products
SELECT p.product_id, p.sku, p.name, p.description, p.price, p.category,
  COALESCE(c.name, p.category) AS category_name, p.stock, p.reserved, p.created_at, p.updated_at
FROM products p LEFT JOIN categories c ON c.slug = p.category
WHERE TRUE
