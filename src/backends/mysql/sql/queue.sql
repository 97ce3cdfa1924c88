-- The queue (MysqlQueue). MySQL has no RETURNING and no data-modifying CTEs: an operation is a
-- request of several statements (one round trip, one transaction), and a count carried from one
-- statement to the next is a session variable set from ROW_COUNT(). Each adds to its counters
-- with one upsert of this node's row (? queue, ? node). Transactions run at READ COMMITTED
-- (mysql::Connection), so a locking read locks the rows it returns, not the gaps it walks.

-- Claims the deduplication ids of a batch ({rows}: "(?, ?, ?, ?)" per message: queue, dedup id,
-- message id, expiry; ? now). An unexpired claim stays; within the batch the first of an id
-- claims it. Concurrent sends of one id wait for each other on the row lock.
-- name: claim_dedup
INSERT INTO queue_dedup(queue_name, dedup_id, message_id, expires_at)
VALUES {rows}
ON DUPLICATE KEY UPDATE
  message_id = IF(expires_at <= ?, VALUES(message_id), message_id),
  expires_at = IF(expires_at <= ?, VALUES(expires_at), expires_at)

-- The batch's messages whose claim held ({rows}: "SELECT ? AS n, ? AS message_id, ? AS group_id,
-- ? AS dedup_id, ? AS body" per message, joined by UNION ALL; ? queue, ? now, ? queue), in order.
-- name: insert_claimed
INSERT INTO queue_messages(message_id, queue_name, group_id, dedup_id, body, sent_at, visible_at)
SELECT i.message_id, ?, i.group_id, i.dedup_id, i.body, ?, ?
FROM ({rows}) i
  JOIN queue_dedup d ON d.queue_name = ? AND d.dedup_id = i.dedup_id
    AND d.message_id = i.message_id
ORDER BY i.n

-- The count of the statement before, for the statements after it.
-- name: keep_row_count
SET @orderflow_n = ROW_COUNT()

-- ? queue, ? node, ? batch size
-- name: count_sent
INSERT INTO queue_counters(queue_name, node, sent, deduplicated)
VALUES (?, ?, @orderflow_n, ? - @orderflow_n)
ON DUPLICATE KEY UPDATE sent = sent + VALUES(sent), deduplicated = deduplicated + VALUES(deduplicated)

-- Which message holds each dedup id of the batch ({ids}: "?" per id; ? queue).
-- name: dedup_holders
SELECT dedup_id, message_id
FROM queue_dedup
WHERE queue_name = ? AND dedup_id IN ({ids})

-- ? now, ? queue, ? now, ? max retries
-- name: dead_letter_exhausted
UPDATE queue_messages
  SET in_dlq = TRUE, receipt = NULL, dead_lettered_at = ?,
      last_error = COALESCE(last_error, 'visibility timeout expired on every delivery')
WHERE queue_name = ? AND in_dlq = FALSE AND receipt IS NOT NULL AND visible_at <= ?
  AND receive_count > ?

-- ? queue, ? node
-- name: count_dead_lettered
INSERT INTO queue_counters(queue_name, node, dead_lettered)
VALUES (?, ?, @orderflow_n)
ON DUPLICATE KEY UPDATE dead_lettered = dead_lettered + VALUES(dead_lettered)

-- Each group's head, if visible (at most ?, oldest first): a walk in send order over the live
-- messages (queue_messages_live), whose cost is the batch plus what it passes over, not the
-- queue's length; the head test is an index probe per candidate. Locked rows (another
-- consumer's) are skipped. ? queue, ? now, ? queue, ? limit
-- name: receivable_heads
SELECT m.seq, m.message_id, m.group_id, m.body, m.receive_count, m.sent_at
FROM queue_messages m
WHERE m.queue_name = ? AND m.in_dlq = FALSE AND m.visible_at <= ?
  AND m.seq = (SELECT MIN(e.seq) FROM queue_messages e
               WHERE e.queue_name = m.queue_name AND e.in_dlq = FALSE AND e.group_id = m.group_id)
ORDER BY m.seq
LIMIT ?
FOR UPDATE SKIP LOCKED

-- The picked heads, taken: each receipt is ? (this receive's token) '.' seq ({seqs}: "?" per
-- message; ? visible at).
-- name: take
UPDATE queue_messages
  SET receipt = CONCAT(?, '.', seq), visible_at = ?, receive_count = receive_count + 1
WHERE seq IN ({seqs})

-- ? queue, ? node, ? how many
-- name: count_received
INSERT INTO queue_counters(queue_name, node, received)
VALUES (?, ?, ?)
ON DUPLICATE KEY UPDATE received = received + VALUES(received)

-- Delivered messages, deleted where the receipt is still current ({pairs}: "(?, ?)" per
-- message: id, receipt).
-- name: remove
DELETE FROM queue_messages
WHERE (message_id, receipt) IN ({pairs}) AND in_dlq = FALSE

-- ? queue, ? node
-- name: count_deleted
INSERT INTO queue_counters(queue_name, node, deleted)
VALUES (?, ?, @orderflow_n)
ON DUPLICATE KEY UPDATE deleted = deleted + VALUES(deleted)

-- name: kept_row_count
SELECT @orderflow_n AS n

-- A failed delivery, to be retried: visible again at ? (now plus the backoff); ? error, ? id,
-- ? receipt.
-- name: release_for_retry
UPDATE queue_messages
  SET receipt = NULL, visible_at = ?, last_error = ?
WHERE message_id = ? AND receipt = ? AND in_dlq = FALSE

-- A failed delivery after the last retry: ? error, ? now, ? id, ? receipt.
-- name: dead_letter
UPDATE queue_messages
  SET in_dlq = TRUE, receipt = NULL, last_error = ?, dead_lettered_at = ?
WHERE message_id = ? AND receipt = ? AND in_dlq = FALSE

-- ? queue, ? node
-- name: count_retried
INSERT INTO queue_counters(queue_name, node, retried)
VALUES (?, ?, @orderflow_n)
ON DUPLICATE KEY UPDATE retried = retried + VALUES(retried)

-- name: purge
DELETE FROM queue_messages WHERE queue_name = ? AND in_dlq = FALSE

-- name: dead_letters
SELECT message_id, group_id, body, receive_count, last_error, sent_at, dead_lettered_at
FROM queue_messages
WHERE queue_name = ? AND in_dlq = TRUE
ORDER BY seq
LIMIT ?

-- Redrive: a redriven message goes to the tail of the queue, so it needs a new sequence number;
-- MariaDB's AUTO_INCREMENT does not follow a key updated past it, so the message is deleted and
-- inserted again (same id and body, counts reset). ? queue, then {ids} ("?" per id) or none.
-- name: dead_letters_to_redrive
SELECT message_id, group_id, dedup_id, body, sent_at, last_error
FROM queue_messages
WHERE queue_name = ? AND in_dlq = TRUE {only_ids}
ORDER BY seq
FOR UPDATE

-- name: delete_messages
DELETE FROM queue_messages WHERE message_id IN ({ids})

-- {rows}: "(?, ?, ?, ?, ?, ?, ?, ?)" per message: id, queue, group, dedup id, body, sent at,
-- visible at, last error.
-- name: insert_messages
INSERT INTO queue_messages(message_id, queue_name, group_id, dedup_id, body, sent_at, visible_at,
                           last_error)
VALUES {rows}

-- ? now three times, ? queue
-- name: queue_depths
SELECT COALESCE(SUM(in_dlq = FALSE AND visible_at <= ?), 0) AS visible,
       COALESCE(SUM(in_dlq = FALSE AND visible_at > ? AND receipt IS NOT NULL), 0) AS in_flight,
       COALESCE(SUM(in_dlq = FALSE AND visible_at > ? AND receipt IS NULL), 0) AS `delayed`,  -- a reserved word
       COALESCE(SUM(in_dlq = TRUE), 0) AS dead_letter,
       MIN(CASE WHEN in_dlq = FALSE THEN sent_at END) AS oldest_sent_at
FROM queue_messages
WHERE queue_name = ?

-- name: queue_counters
SELECT COALESCE(SUM(sent), 0) AS sent, COALESCE(SUM(received), 0) AS received,
       COALESCE(SUM(deleted), 0) AS deleted, COALESCE(SUM(deduplicated), 0) AS deduplicated,
       COALESCE(SUM(retried), 0) AS retried, COALESCE(SUM(dead_lettered), 0) AS dead_lettered
FROM queue_counters
WHERE queue_name = ?
