-- Orders, their events and the intake (PgOrders, PgIntake).

-- name: queued_request
SELECT request, created_at
FROM order_intake
WHERE order_id = $1 AND state = 'queued'

-- name: order_events
SELECT seq, type, at, data
FROM order_events
WHERE order_id = $1
ORDER BY seq

-- name: intake_exists
SELECT 1
FROM order_intake
WHERE order_id = $1

-- name: order_totals
SELECT status, count(*) AS orders, COALESCE(sum(total), 0) AS total
FROM orders
GROUP BY status

-- name: ping
SELECT 1

-- name: release_expired_key
UPDATE order_intake
  SET idempotency_key = NULL
WHERE idempotency_key = $1 AND created_at <= $2

-- A batch of intake records, one array element each ($1 order ids, $2 idempotency keys or NULL,
-- $3 request hashes, $4 requests, $5 times, $7 deduplication ids). The message id is the one
-- the send in the same request stored under the deduplication id (one index probe each, as
-- in the send).
-- name: insert_intake
INSERT INTO order_intake(order_id, idempotency_key, request_hash, request, message_id, created_at)
SELECT i.order_id, i.idempotency_key, i.request_hash, i.request,
       (SELECT d.message_id FROM queue_dedup d WHERE d.queue_name = $6 AND d.dedup_id = i.dedup_id),
       i.created_at
FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::bigint[], $7::text[])
  AS i(order_id, idempotency_key, request_hash, request, created_at, dedup_id)

-- Intake records whose messages a queue in another system takes next (QUEUE_BACKEND=sqs): the
-- message id is '' until that queue has the message. Arrays as in insert_intake.
-- name: reserve_intake
INSERT INTO order_intake(order_id, idempotency_key, request_hash, request, message_id, created_at)
SELECT i.order_id, i.idempotency_key, i.request_hash, i.request, '', i.created_at
FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::bigint[])
  AS i(order_id, idempotency_key, request_hash, request, created_at)

-- $1 order ids, $2 the message ids the queue gave them.
-- name: confirm_intake
UPDATE order_intake
  SET message_id = ($2::text[])[array_position($1::text[], order_id)]
WHERE order_id = ANY($1::text[]) AND message_id = ''

-- name: withdraw_intake
DELETE FROM order_intake
WHERE order_id = ANY($1::text[]) AND message_id = ''

-- name: key_binding
SELECT order_id, message_id, created_at, request
FROM order_intake
WHERE idempotency_key = $1 AND created_at > $2

-- name: find_order
SELECT order_id, status, customer_id, customer_name, customer_email, currency, items, subtotal,
  tax, total, failure_reason, session_id, payment_method, shipping_address, created_at,
  updated_at, processed_at, version
FROM orders
WHERE order_id = $1

-- name: intake_by_key
SELECT order_id, request_hash, message_id, created_at FROM order_intake WHERE idempotency_key = $1

-- name: intake_by_id
SELECT order_id, request_hash, message_id, created_at FROM order_intake WHERE order_id = $1

-- The list's filters and order are appended by PgOrders::list_orders.
-- name: count_orders
SELECT count(*) FROM orders WHERE TRUE

-- name: list_orders
SELECT order_id, status, customer_id, customer_name, customer_email, currency, items, subtotal,
  tax, total, failure_reason, session_id, payment_method, shipping_address, created_at,
  updated_at, processed_at, version
FROM orders
WHERE TRUE
