-- The queue (PgQueue). Each operation is one statement: data-modifying CTEs keep its counter
-- update in the same implicit transaction. A statement may touch a row once, so each adds to its
-- counters with one upsert of this node's row ($1 queue, $2 node).

-- A batch of messages, one array element each ($3 dedup ids, $4 message ids, $5 groups,
-- $8 bodies): one statement whatever the batch's size. Claiming the deduplication id first makes
-- concurrent sends of one id wait for each other: the loser sees the winner's unexpired row and
-- inserts nothing; within the batch the first of an id claims it. One row per message, in order.
-- Lookups in the big tables are correlated subqueries, one index probe per message: a join
-- there would let a plan made on stale statistics (the tables grow fast) scan the whole table.
-- name: send
WITH input AS (
  SELECT * FROM unnest($3::text[], $4::text[], $5::text[], $8::text[]) WITH ORDINALITY
    AS i(dedup_id, message_id, group_id, body, n)),
claim AS (
  INSERT INTO queue_dedup(queue_name, dedup_id, message_id, expires_at)
  SELECT DISTINCT ON (dedup_id) $1, dedup_id, message_id, $7 FROM input ORDER BY dedup_id, n
  ON CONFLICT (queue_name, dedup_id) DO UPDATE
    SET message_id = EXCLUDED.message_id, expires_at = EXCLUDED.expires_at
    WHERE queue_dedup.expires_at <= $6
  RETURNING dedup_id, message_id),
ins AS (
  INSERT INTO queue_messages(message_id, queue_name, group_id, dedup_id, body, sent_at, visible_at)
  SELECT i.message_id, $1, i.group_id, i.dedup_id, i.body, $6, $6
  FROM input i JOIN claim c ON c.message_id = i.message_id
  ORDER BY i.n
  RETURNING 1),
c AS (
  INSERT INTO queue_counters(queue_name, node, sent, deduplicated)
  VALUES ($1, $2, (SELECT count(*) FROM ins), (SELECT count(*) FROM input) - (SELECT count(*) FROM ins))
  ON CONFLICT (queue_name, node) DO UPDATE
    SET sent = queue_counters.sent + EXCLUDED.sent,
        deduplicated = queue_counters.deduplicated + EXCLUDED.deduplicated)
SELECT COALESCE(mine.message_id, first.message_id,
                (SELECT d.message_id FROM queue_dedup d
                 WHERE d.queue_name = $1 AND d.dedup_id = i.dedup_id)) AS message_id,
       mine.message_id IS NULL AS deduplicated
FROM input i
LEFT JOIN claim mine ON mine.message_id = i.message_id
LEFT JOIN claim first ON first.dedup_id = i.dedup_id
ORDER BY i.n

-- Messages whose visibility ran out on their last allowed delivery go to the dead letters.
-- name: dead_letter_exhausted
WITH dead AS (
  UPDATE queue_messages
    SET in_dlq = TRUE, receipt = NULL, dead_lettered_at = $3,
        last_error = COALESCE(last_error, 'visibility timeout expired on every delivery')
  WHERE queue_name = $1 AND NOT in_dlq AND receipt IS NOT NULL AND visible_at <= $3
    AND receive_count > $4
  RETURNING 1)
INSERT INTO queue_counters(queue_name, node, dead_lettered)
VALUES ($1, $2, (SELECT count(*) FROM dead))
ON CONFLICT (queue_name, node) DO UPDATE
  SET dead_lettered = queue_counters.dead_lettered + EXCLUDED.dead_lettered

-- Each group's head, if visible (at most $4, oldest first): a walk in send order over the live
-- messages (queue_messages_live), so its cost is the batch plus the messages it passes over
-- (in flight, delayed, or behind their group's head), not the queue's length. The head test is
-- a correlated subquery, not NOT EXISTS: PostgreSQL runs it per candidate as an index probe,
-- while an anti-join may be planned, on the stale statistics of a table that empties and
-- refills, as a scan of the whole queue per candidate. The visibility test is on the locked
-- row itself: under READ COMMITTED, FOR UPDATE re-checks it against the latest version, so a
-- head another consumer took after this statement's snapshot is not taken twice.
-- name: receive
WITH picked AS (
  SELECT m.seq FROM queue_messages m
  WHERE m.queue_name = $1 AND NOT m.in_dlq AND m.visible_at <= $3
    AND m.seq = (SELECT min(e.seq) FROM queue_messages e
                 WHERE e.queue_name = $1 AND NOT e.in_dlq AND e.group_id = m.group_id)
  ORDER BY m.seq LIMIT $4
  FOR UPDATE OF m SKIP LOCKED),
taken AS (
  UPDATE queue_messages q
    SET receipt = md5(random()::text || q.seq::text || $3), visible_at = $3 + $5,
        receive_count = q.receive_count + 1
  FROM picked WHERE q.seq = picked.seq
  RETURNING q.seq, q.message_id, q.receipt, q.group_id, q.body, q.receive_count, q.sent_at),
c AS (
  INSERT INTO queue_counters(queue_name, node, received)
  VALUES ($1, $2, (SELECT count(*) FROM taken))
  ON CONFLICT (queue_name, node) DO UPDATE
    SET received = queue_counters.received + EXCLUDED.received)
SELECT message_id, receipt, group_id, body, receive_count, sent_at FROM taken ORDER BY seq

-- Delivered messages ($3 ids, $4 their receipts), deleted where the receipt is still current.
-- "= ANY" probes the index for each id whatever the table's statistics say.
-- name: remove
WITH gone AS (
  DELETE FROM queue_messages
  WHERE message_id = ANY($3::text[]) AND receipt = ($4::text[])[array_position($3::text[], message_id)]
    AND NOT in_dlq
  RETURNING 1),
c AS (
  INSERT INTO queue_counters(queue_name, node, deleted)
  VALUES ($1, $2, (SELECT count(*) FROM gone))
  ON CONFLICT (queue_name, node) DO UPDATE
    SET deleted = queue_counters.deleted + EXCLUDED.deleted)
SELECT count(*) AS n FROM gone

-- Retry after delays[receive_count] (the last repeating) with ±10 % jitter, or dead-letter after
-- the last retry.
-- name: fail
WITH cur AS (
  SELECT seq, receive_count FROM queue_messages
  WHERE message_id = $3 AND receipt = $4 AND NOT in_dlq
  FOR UPDATE),
dead AS (
  UPDATE queue_messages q
    SET in_dlq = TRUE, receipt = NULL, last_error = $5, dead_lettered_at = $6
  FROM cur WHERE q.seq = cur.seq AND cur.receive_count > $7
  RETURNING 1),
retry AS (
  UPDATE queue_messages q
    SET receipt = NULL, last_error = $5,
        visible_at = $6 + COALESCE(
          (($8::bigint[])[LEAST(GREATEST(cur.receive_count, 1), cardinality($8::bigint[]))]
           * (0.9 + random() * 0.2))::bigint, 0)
  FROM cur WHERE q.seq = cur.seq AND cur.receive_count <= $7
  RETURNING 1),
c AS (
  INSERT INTO queue_counters(queue_name, node, retried, dead_lettered)
  VALUES ($1, $2, (SELECT count(*) FROM retry), (SELECT count(*) FROM dead))
  ON CONFLICT (queue_name, node) DO UPDATE
    SET retried = queue_counters.retried + EXCLUDED.retried,
        dead_lettered = queue_counters.dead_lettered + EXCLUDED.dead_lettered)
SELECT count(*) AS n FROM cur

-- name: purge
DELETE FROM queue_messages WHERE queue_name = $1 AND NOT in_dlq

-- name: dead_letters
SELECT message_id, group_id, body, receive_count, last_error, sent_at, dead_lettered_at
FROM queue_messages
WHERE queue_name = $1 AND in_dlq
ORDER BY seq
LIMIT $2

-- A redriven message goes to the tail: a new sequence number, same id and body.
-- name: redrive
UPDATE queue_messages
  SET seq = nextval('queue_messages_seq_seq'), in_dlq = FALSE, receive_count = 0, receipt = NULL,
      visible_at = $3, dead_lettered_at = NULL
WHERE queue_name = $1 AND in_dlq
  AND (cardinality($2::text[]) = 0 OR message_id = ANY($2::text[]))

-- Delivered when the sending transaction commits: wakes receivers in every process.
-- name: notify
SELECT pg_notify($1, '')

-- name: queue_depths
SELECT count(*) FILTER (WHERE NOT in_dlq AND visible_at <= $2) AS visible,
       count(*) FILTER (WHERE NOT in_dlq AND visible_at > $2 AND receipt IS NOT NULL)
         AS in_flight,
       count(*) FILTER (WHERE NOT in_dlq AND visible_at > $2 AND receipt IS NULL) AS delayed,
       count(*) FILTER (WHERE in_dlq) AS dead_letter,
       min(sent_at) FILTER (WHERE NOT in_dlq) AS oldest_sent_at
FROM queue_messages
WHERE queue_name = $1

-- name: queue_counters
SELECT COALESCE(sum(sent),0) AS sent, COALESCE(sum(received),0) AS received,
       COALESCE(sum(deleted),0) AS deleted, COALESCE(sum(deduplicated),0) AS deduplicated,
       COALESCE(sum(retried),0) AS retried, COALESCE(sum(dead_lettered),0) AS dead_lettered
FROM queue_counters
WHERE queue_name = $1
