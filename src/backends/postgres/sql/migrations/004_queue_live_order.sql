-- Receives walk the live messages in send order and stop after a batch (queue_messages_live):
-- the walk passes over only what is ahead of the batch, however long the queue. Expired
-- deliveries are looked up among the messages in flight (queue_messages_in_flight, small),
-- which replaces the index of every message's visible_at: that one let a planner with stale
-- statistics sort the whole queue on each receive.
CREATE INDEX queue_messages_live ON queue_messages(queue_name, seq) WHERE NOT in_dlq;
CREATE INDEX queue_messages_in_flight ON queue_messages(queue_name, visible_at)
  WHERE receipt IS NOT NULL AND NOT in_dlq;
DROP INDEX queue_messages_visible;
-- The table turns over fast: analyze it often enough that plans follow its size.
ALTER TABLE queue_messages SET (autovacuum_analyze_scale_factor = 0.02,
                                autovacuum_vacuum_scale_factor = 0.05);
