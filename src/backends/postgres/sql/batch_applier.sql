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

-- The batch's events, one array element each.
-- name: insert_events
INSERT INTO order_events(order_id, seq, type, at, data)
SELECT * FROM unnest($1::text[], $2::integer[], $3::text[], $4::bigint[], $5::text[])

-- $1 order ids, $2 their intake states. "= ANY" probes the index for each id whatever the
-- table's statistics say.
-- name: set_intake_states
UPDATE order_intake
  SET state = ($2::text[])[array_position($1::text[], order_id)]
WHERE order_id = ANY($1::text[])

-- name: lock_orders
SELECT order_id, status, customer_id, customer_name, customer_email, currency, items, subtotal,
  tax, total, failure_reason, session_id, payment_method, shipping_address, created_at,
  updated_at, processed_at, version
FROM orders
WHERE order_id = ANY($1::text[])
ORDER BY order_id
FOR UPDATE

-- The batch's new and changed orders, one array element each per column.
-- name: save_orders
INSERT INTO orders(order_id, status, customer_id, customer_name, customer_email, currency, items,
  subtotal, tax, total, failure_reason, session_id, payment_method, shipping_address, created_at,
  updated_at, processed_at, version)
SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[],
  $7::text[], $8::bigint[], $9::bigint[], $10::bigint[], $11::text[], $12::text[], $13::text[],
  $14::text[], $15::bigint[], $16::bigint[], $17::bigint[], $18::bigint[])
ON CONFLICT (order_id) DO UPDATE
  SET status = EXCLUDED.status, customer_id = EXCLUDED.customer_id,
      customer_name = EXCLUDED.customer_name, customer_email = EXCLUDED.customer_email,
      currency = EXCLUDED.currency, items = EXCLUDED.items, subtotal = EXCLUDED.subtotal,
      tax = EXCLUDED.tax, total = EXCLUDED.total, failure_reason = EXCLUDED.failure_reason,
      session_id = EXCLUDED.session_id, payment_method = EXCLUDED.payment_method,
      shipping_address = EXCLUDED.shipping_address, created_at = EXCLUDED.created_at,
      updated_at = EXCLUDED.updated_at, processed_at = EXCLUDED.processed_at,
      version = EXCLUDED.version
