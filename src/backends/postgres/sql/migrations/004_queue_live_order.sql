-- Receives walk the live messages in send order and stop after a batch: this index keeps that
-- walk from visiting dead letters or sorting the queue, so a backlog does not slow it down.
CREATE INDEX queue_messages_live ON queue_messages(queue_name, seq) WHERE NOT in_dlq;
