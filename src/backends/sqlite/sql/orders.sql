-- Orders, their events and the intake (SqliteOrders).

-- name: product_stock
SELECT product_id, sku, name, price, stock, reserved
FROM products
WHERE product_id=?1

-- name: delete_order
DELETE FROM orders
WHERE order_id=?1

-- name: update_product_stock
UPDATE products
  SET stock=?2, reserved=?3, updated_at=?4
WHERE product_id=?1

-- name: last_event_seq
SELECT COALESCE(MAX(seq),0)
FROM order_events
WHERE order_id=?1

-- name: insert_event
INSERT INTO order_events(order_id, seq, type, at, data)
VALUES (?1,?2,?3,?4,?5)

-- name: set_intake_state
UPDATE order_intake
  SET state=?2
WHERE order_id=?1

-- name: release_expired_key
UPDATE order_intake
  SET idempotency_key=NULL
WHERE idempotency_key=?1 AND created_at<=?2

-- name: insert_intake
INSERT INTO order_intake(order_id, idempotency_key, request_hash, request, message_id, created_at)
VALUES (?1,?2,?3,?4,?5,?6)

-- name: key_binding
SELECT order_id, message_id, created_at, request
FROM order_intake
WHERE idempotency_key=?1 AND created_at>?2

-- name: queued_request
SELECT request, created_at
FROM order_intake
WHERE order_id=?1 AND state='queued'

-- name: order_events
SELECT seq, type, at, data
FROM order_events
WHERE order_id=?1
ORDER BY seq

-- name: intake_exists
SELECT 1
FROM order_intake
WHERE order_id=?1

-- name: order_totals
SELECT status, COUNT(*) AS orders, COALESCE(SUM(total),0) AS total
FROM orders
GROUP BY status

-- name: ping
SELECT 1

-- name: find_order
SELECT order_id, status, customer_id, customer_name, customer_email, currency, items, subtotal,
  tax, total, failure_reason, session_id, payment_method, shipping_address, created_at,
  updated_at, processed_at, version
FROM orders
WHERE order_id=?1

-- name: save_order
INSERT OR REPLACE INTO orders(order_id, status, customer_id, customer_name, customer_email,
  currency, items, subtotal, tax, total, failure_reason, session_id, payment_method,
  shipping_address, created_at, updated_at, processed_at, version)
VALUES (?1,?2,?3,?4,?5,?6,?7,?8,?9,?10,?11,?12,?13,?14,?15,?16,?17,?18)

-- name: intake_by_key
SELECT order_id, request_hash, message_id, created_at FROM order_intake WHERE idempotency_key=?1

-- name: intake_by_id
SELECT order_id, request_hash, message_id, created_at FROM order_intake WHERE order_id=?1

-- The list's filters and order are appended by SqliteOrders::list_orders.
-- name: count_orders
SELECT COUNT(*) FROM orders WHERE 1=1

-- name: list_orders
SELECT order_id, status, customer_id, customer_name, customer_email, currency, items, subtotal,
  tax, total, failure_reason, session_id, payment_method, shipping_address, created_at,
  updated_at, processed_at, version
FROM orders
WHERE 1=1
