-- Counters per queue instance (node): processes do not contend on one hot row.
ALTER TABLE queue_counters ADD COLUMN node TEXT NOT NULL DEFAULT '';
ALTER TABLE queue_counters DROP CONSTRAINT queue_counters_pkey;
ALTER TABLE queue_counters ADD PRIMARY KEY (queue_name, node);
