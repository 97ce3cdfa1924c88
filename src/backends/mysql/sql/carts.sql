-- Carts (make_mysql_carts): a row per session and its items, expired by updated_at.

-- name: cart_updated_at
SELECT updated_at
FROM carts
WHERE session_id = ? AND updated_at > ?

-- name: cart_items
SELECT i.product_id, i.quantity
FROM cart_items i
  JOIN carts c ON c.session_id = i.session_id
WHERE i.session_id = ? AND c.updated_at > ?
ORDER BY i.added_at, i.product_id

-- name: delete_expired_cart
DELETE FROM carts
WHERE session_id = ? AND updated_at <= ?

-- name: touch_cart
INSERT INTO carts(session_id, updated_at)
VALUES (?, ?)
ON DUPLICATE KEY UPDATE updated_at = VALUES(updated_at)

-- name: delete_cart_item
DELETE FROM cart_items
WHERE session_id = ? AND product_id = ?

-- name: upsert_cart_item
INSERT INTO cart_items(session_id, product_id, quantity, added_at)
VALUES (?, ?, ?, ?)
ON DUPLICATE KEY UPDATE quantity = VALUES(quantity)

-- name: delete_cart
DELETE FROM carts
WHERE session_id = ?

-- name: delete_expired_carts
DELETE FROM carts
WHERE updated_at <= ?
