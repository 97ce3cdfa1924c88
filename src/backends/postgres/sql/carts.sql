-- Carts (PgCarts): a row per session and its items, expired by updated_at.

-- name: cart_updated_at
SELECT updated_at
FROM carts
WHERE session_id = $1 AND updated_at > $2

-- name: cart_items
SELECT i.product_id, i.quantity
FROM cart_items i
  JOIN carts c USING (session_id)
WHERE i.session_id = $1 AND c.updated_at > $2
ORDER BY i.added_at, i.product_id

-- name: delete_expired_cart
DELETE FROM carts
WHERE session_id = $1 AND updated_at <= $2

-- name: touch_cart
INSERT INTO carts(session_id, updated_at)
VALUES ($1, $2)
ON CONFLICT (session_id) DO UPDATE
  SET updated_at = EXCLUDED.updated_at

-- name: delete_cart_item
DELETE FROM cart_items
WHERE session_id = $1 AND product_id = $2

-- name: upsert_cart_item
INSERT INTO cart_items(session_id, product_id, quantity, added_at)
VALUES ($1,$2,$3,$4)
ON CONFLICT (session_id, product_id) DO UPDATE
  SET quantity = EXCLUDED.quantity

-- name: delete_cart
DELETE FROM carts
WHERE session_id = $1

-- name: delete_expired_carts
DELETE FROM carts
WHERE updated_at <= $1
