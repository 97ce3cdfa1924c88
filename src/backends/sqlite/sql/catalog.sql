-- Categories and products (SqliteCatalog).

-- name: category_exists
SELECT 1
FROM categories
WHERE slug=?1

-- name: categories_with_counts
SELECT c.slug, c.name, COUNT(p.product_id) AS product_count
FROM categories c
  LEFT JOIN products p ON p.category = c.slug
GROUP BY c.slug
ORDER BY c.name, c.slug

-- name: insert_category_if_new
INSERT OR IGNORE INTO categories(slug, name, created_at)
VALUES (?1,?2,?3)

-- name: product_id_or_sku_taken
SELECT 1
FROM products
WHERE product_id=?1 OR sku=?2

-- name: insert_product
INSERT INTO products(product_id, sku, name, description, price, category, stock, reserved,
  created_at, updated_at)
VALUES (?1,?2,?3,?4,?5,?6,?7,0,?8,?8)

-- name: sku_taken
SELECT 1
FROM products
WHERE sku=?1

-- name: update_product
UPDATE products
  SET sku=?2, name=?3, description=?4, price=?5, category=?6, stock=?7, updated_at=?8
WHERE product_id=?1

-- name: set_product_stock
UPDATE products
  SET stock=?2, updated_at=?3
WHERE product_id=?1

-- name: delete_product
DELETE FROM products
WHERE product_id=?1

-- name: catalog_row_count
SELECT (SELECT COUNT(*) FROM products) + (SELECT COUNT(*) FROM categories) AS n

-- name: insert_category
INSERT INTO categories(slug, name, created_at)
VALUES (?1,?2,?3)

-- name: find_product
SELECT p.product_id, p.sku, p.name, p.description, p.price, p.category,
  COALESCE(c.name, p.category) AS category_name, p.stock, p.reserved, p.created_at, p.updated_at
FROM products p LEFT JOIN categories c ON c.slug = p.category
WHERE p.product_id=?1

-- The list's filters and order are appended by SqliteCatalog::list_products.
-- name: count_products
SELECT COUNT(*) FROM products p WHERE 1=1

-- name: list_products
SELECT p.product_id, p.sku, p.name, p.description, p.price, p.category,
  COALESCE(c.name, p.category) AS category_name, p.stock, p.reserved, p.created_at, p.updated_at
FROM products p LEFT JOIN categories c ON c.slug = p.category
WHERE 1=1
