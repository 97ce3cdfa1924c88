-- The queue (SqliteQueue): messages, deduplication window, counters.

-- name: live_dedup
SELECT message_id
FROM queue_dedup
WHERE queue_name=?1 AND dedup_id=?2 AND expires_at>?3

-- name: insert_message
INSERT INTO queue_messages(message_id, queue_name, group_id, dedup_id, body, sent_at, visible_at)
VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?6)

-- name: remember_dedup
INSERT INTO queue_dedup(queue_name, dedup_id, message_id, expires_at)
VALUES (?1,?2,?3,?4)
ON CONFLICT(queue_name, dedup_id) DO UPDATE
  SET message_id=?3, expires_at=?4

-- name: dead_letter
UPDATE queue_messages
  SET in_dlq=1, receipt=NULL, last_error=?2, dead_lettered_at=?3
WHERE message_id=?1

-- name: receivable
SELECT m.message_id, m.group_id, m.body, m.receive_count, m.sent_at, m.last_error
FROM queue_messages m
WHERE m.queue_name=?1 AND m.in_dlq=0 AND m.visible_at<=?2
  AND NOT EXISTS (SELECT 1 FROM queue_messages e
                  WHERE e.queue_name=?1 AND e.in_dlq=0 AND e.group_id=m.group_id
                    AND e.seq<m.seq)
ORDER BY m.seq
LIMIT ?3

-- name: mark_received
UPDATE queue_messages
  SET receipt=?2, visible_at=?3, receive_count=?4
WHERE message_id=?1

-- name: receipt_current
SELECT 1
FROM queue_messages
WHERE message_id=?1 AND receipt=?2 AND in_dlq=0

-- name: delete_by_receipt
DELETE FROM queue_messages
WHERE message_id=?1 AND receipt=?2 AND in_dlq=0

-- name: release_for_retry
UPDATE queue_messages
  SET receipt=NULL, visible_at=?2, last_error=?3
WHERE message_id=?1

-- name: purge
DELETE FROM queue_messages
WHERE queue_name=?1 AND in_dlq=0

-- name: dead_letters
SELECT message_id, group_id, body, receive_count, last_error, sent_at, dead_lettered_at
FROM queue_messages
WHERE queue_name=?1 AND in_dlq=1
ORDER BY seq
LIMIT ?2

-- name: dead_letter_ids
SELECT message_id
FROM queue_messages
WHERE queue_name=?1 AND in_dlq=1
ORDER BY seq

-- name: redrive
UPDATE queue_messages
  SET seq=(SELECT MAX(seq)+1
FROM queue_messages), in_dlq=0, receive_count=0, receipt=NULL, visible_at=?3, dead_lettered_at=NULL
WHERE queue_name=?1 AND message_id=?2 AND in_dlq=1

-- name: queue_depths
SELECT COALESCE(SUM(in_dlq=0 AND visible_at<=?2),0) AS visible,
  COALESCE(SUM(in_dlq=0 AND visible_at>?2 AND receipt IS NOT NULL),0) AS in_flight,
  COALESCE(SUM(in_dlq=0 AND visible_at>?2 AND receipt IS NULL),0) AS delayed,
  COALESCE(SUM(in_dlq=1),0) AS dead_letter,
  MIN(CASE WHEN in_dlq=0 THEN sent_at END) AS oldest_sent_at
FROM queue_messages
WHERE queue_name=?1

-- name: queue_counters
SELECT sent, received, deleted, deduplicated, retried, dead_lettered
FROM queue_counters
WHERE queue_name=?1

-- The counters in the order of queue::kQueueCounters.
-- name: add_to_counters
INSERT INTO queue_counters(queue_name, sent, received, deleted, deduplicated, retried,
  dead_lettered)
VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)
ON CONFLICT(queue_name) DO UPDATE
  SET sent = sent + ?2, received = received + ?3, deleted = deleted + ?4,
      deduplicated = deduplicated + ?5, retried = retried + ?6,
      dead_lettered = dead_lettered + ?7
