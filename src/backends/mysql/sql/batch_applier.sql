-- The worker's batch (backends/sql/sql_batch_applier.hpp, MysqlBatchStatements): claim the
-- messages, lock and load what they touch, write the outcome. Lists of ids fill an
-- "IN ({ids})" slot; a batch's rows fill a "VALUES {rows}" slot: one statement per table.

-- name: lock_current_messages
SELECT message_id, receipt
FROM queue_messages
WHERE message_id IN ({ids}) AND in_dlq = FALSE
ORDER BY seq
FOR UPDATE

-- A message already in the inbox was applied before (a batch that holds it uncommitted makes
-- this one wait, then ignore it). {rows}: "(?, ?, ?)" per message: id, time, this batch.
-- name: claim_inbox
INSERT IGNORE INTO queue_inbox(message_id, applied_at, batch)
VALUES {rows}

-- ? this batch, then the ids.
-- name: claimed_by_batch
SELECT message_id, '' AS receipt
FROM queue_inbox
WHERE batch = ? AND message_id IN ({ids})

-- name: release_inbox
DELETE FROM queue_inbox
WHERE message_id IN ({ids})

-- name: expire_inbox
DELETE FROM queue_inbox
WHERE applied_at < ?

-- name: last_event_seqs
SELECT order_id, max(seq) AS seq
FROM order_events
WHERE order_id IN ({ids})
GROUP BY order_id

-- name: lock_products
SELECT product_id, sku, name, price, stock, reserved
FROM products
WHERE product_id IN ({ids})
ORDER BY product_id
FOR UPDATE

-- name: lock_orders
SELECT order_id, status, customer_id, customer_name, customer_email, currency, items, subtotal,
  tax, total, failure_reason, session_id, payment_method, shipping_address, created_at,
  updated_at, processed_at, version
FROM orders
WHERE order_id IN ({ids})
ORDER BY order_id
FOR UPDATE

-- name: delete_order
DELETE FROM orders
WHERE order_id = ?

-- name: update_product_stock
UPDATE products
  SET stock = ?, reserved = ?, updated_at = ?
WHERE product_id = ?

-- {rows}: "(?, ?, ?, ?, ?)" per event.
-- name: insert_events
INSERT INTO order_events(order_id, seq, type, at, data)
VALUES {rows}

-- {cases}: "WHEN ? THEN ?" per order (id, state), then the ids.
-- name: set_intake_states
UPDATE order_intake
  SET state = CASE order_id {cases} END
WHERE order_id IN ({ids})

-- The batch's new and changed orders. {rows}: 18 "?" per order.
-- name: save_orders
INSERT INTO orders(order_id, status, customer_id, customer_name, customer_email, currency, items,
  subtotal, tax, total, failure_reason, session_id, payment_method, shipping_address, created_at,
  updated_at, processed_at, version)
VALUES {rows}
ON DUPLICATE KEY UPDATE
  status = VALUES(status), customer_id = VALUES(customer_id),
  customer_name = VALUES(customer_name), customer_email = VALUES(customer_email),
  currency = VALUES(currency), items = VALUES(items), subtotal = VALUES(subtotal),
  tax = VALUES(tax), total = VALUES(total), failure_reason = VALUES(failure_reason),
  session_id = VALUES(session_id), payment_method = VALUES(payment_method),
  shipping_address = VALUES(shipping_address), created_at = VALUES(created_at),
  updated_at = VALUES(updated_at), processed_at = VALUES(processed_at),
  version = VALUES(version)
