-- Orders, their events and the intake (backends/sql/sql_orders.hpp, MysqlIntake). An
-- Idempotency-Key is looked up by its SHA-256 (order_intake.key_hash, unique).

-- name: queued_request
SELECT request, created_at
FROM order_intake
WHERE order_id = ? AND state = 'queued'

-- name: order_events
SELECT seq, type, at, data
FROM order_events
WHERE order_id = ?
ORDER BY seq

-- name: intake_exists
SELECT 1
FROM order_intake
WHERE order_id = ?

-- name: order_totals
SELECT status, count(*) AS orders, COALESCE(sum(total), 0) AS total
FROM orders
GROUP BY status

-- name: release_expired_key
UPDATE order_intake
  SET idempotency_key = NULL
WHERE key_hash = UNHEX(SHA2(?, 256)) AND created_at <= ?

-- A batch of intake records ({rows}: "(?, ?, ?, ?, ?, ?)" per order: order id, idempotency key
-- or NULL, request hash, request, message id, time).
-- name: insert_intake
INSERT INTO order_intake(order_id, idempotency_key, request_hash, request, message_id, created_at)
VALUES {rows}

-- Intake records whose messages a queue in another system takes next (QUEUE_BACKEND=sqs): the
-- message id is '' until that queue has the message. Rows as in insert_intake, message id ''.
-- name: reserve_intake
INSERT INTO order_intake(order_id, idempotency_key, request_hash, request, message_id, created_at)
VALUES {rows}

-- {cases}: "WHEN ? THEN ?" per order (order id, the message id the queue gave it).
-- name: confirm_intake
UPDATE order_intake
  SET message_id = CASE order_id {cases} END
WHERE order_id IN ({ids}) AND message_id = ''

-- name: withdraw_intake
DELETE FROM order_intake
WHERE order_id IN ({ids}) AND message_id = ''

-- name: key_binding
SELECT order_id, message_id, created_at, request
FROM order_intake
WHERE key_hash = UNHEX(SHA2(?, 256)) AND created_at > ?

-- name: find_order
SELECT order_id, status, customer_id, customer_name, customer_email, currency, items, subtotal,
  tax, total, failure_reason, session_id, payment_method, shipping_address, created_at,
  updated_at, processed_at, version
FROM orders
WHERE order_id = ?

-- name: intake_by_key
SELECT order_id, request_hash, message_id, created_at
FROM order_intake
WHERE key_hash = UNHEX(SHA2(?, 256))

-- name: intake_by_id
SELECT order_id, request_hash, message_id, created_at FROM order_intake WHERE order_id = ?

-- The list's filters and order are appended by SqlOrders::list_orders.
-- name: count_orders
SELECT count(*) AS count FROM orders WHERE TRUE

-- name: list_orders
SELECT order_id, status, customer_id, customer_name, customer_email, currency, items, subtotal,
  tax, total, failure_reason, session_id, payment_method, shipping_address, created_at,
  updated_at, processed_at, version
FROM orders
WHERE TRUE
