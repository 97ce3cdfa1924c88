-- Messages applied from a queue outside this database (QUEUE_BACKEND=redis).
CREATE TABLE queue_inbox (
  message_id TEXT PRIMARY KEY,
  applied_at BIGINT NOT NULL);
CREATE INDEX queue_inbox_applied ON queue_inbox(applied_at);
