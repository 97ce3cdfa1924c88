-- The worker's batch (PgBatchApplier): claim the messages, lock and load what they touch, write
-- the outcome.

-- name: lock_current_messages
SELECT message_id, receipt
FROM queue_messages
WHERE message_id = ANY($1::text[]) AND NOT in_dlq
ORDER BY seq
FOR UPDATE

-- name: claim_inbox
INSERT INTO queue_inbox(message_id, applied_at)
SELECT unnest($1::text[]), $2
ON CONFLICT DO NOTHING
RETURNING message_id, '' AS receipt

-- name: release_inbox
DELETE FROM queue_inbox
WHERE message_id = ANY($1::text[])

-- name: expire_inbox
DELETE FROM queue_inbox
WHERE applied_at < $1

-- name: last_event_seqs
SELECT order_id, max(seq) AS seq
FROM order_events
WHERE order_id = ANY($1::text[])
GROUP BY order_id

-- name: lock_products
SELECT product_id, sku, name, price, stock, reserved
FROM products
WHERE product_id = ANY($1::text[])
ORDER BY product_id
FOR UPDATE

-- name: delete_order
DELETE FROM orders
WHERE order_id = $1

-- name: update_product_stock
UPDATE products
  SET stock = $2, reserved = $3, updated_at = $4
WHERE product_id = $1

-- name: insert_event
INSERT INTO order_events(order_id, seq, type, at, data)
VALUES ($1,$2,$3,$4,$5)

-- name: set_intake_state
UPDATE order_intake
  SET state = $2
WHERE order_id = $1

-- name: lock_orders
SELECT order_id, status, customer_id, customer_name, customer_email, currency, items, subtotal,
  tax, total, failure_reason, session_id, payment_method, shipping_address, created_at,
  updated_at, processed_at, version
FROM orders
WHERE order_id = ANY($1::text[])
ORDER BY order_id
FOR UPDATE

-- name: save_order
INSERT INTO orders(order_id, status, customer_id, customer_name, customer_email, currency, items,
  subtotal, tax, total, failure_reason, session_id, payment_method, shipping_address, created_at,
  updated_at, processed_at, version)
VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13,$14,$15,$16,$17,$18)
ON CONFLICT (order_id) DO UPDATE
  SET status = EXCLUDED.status, customer_id = EXCLUDED.customer_id,
      customer_name = EXCLUDED.customer_name, customer_email = EXCLUDED.customer_email,
      currency = EXCLUDED.currency, items = EXCLUDED.items, subtotal = EXCLUDED.subtotal,
      tax = EXCLUDED.tax, total = EXCLUDED.total, failure_reason = EXCLUDED.failure_reason,
      session_id = EXCLUDED.session_id, payment_method = EXCLUDED.payment_method,
      shipping_address = EXCLUDED.shipping_address, created_at = EXCLUDED.created_at,
      updated_at = EXCLUDED.updated_at, processed_at = EXCLUDED.processed_at,
      version = EXCLUDED.version
