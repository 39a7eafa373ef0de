-- Reads that would otherwise pass over a whole growing table, now that statements run on the
-- event loop (a long one holds every request meanwhile).

-- The dashboard's "asked for help" list walks only the items where someone asked, newest first,
-- instead of every item of every case the practitioner can see.
CREATE INDEX items_help ON items(help_requested_at) WHERE help_requested_at IS NOT NULL;

-- Retention's purge of replayable answers older than a day reads only those.
CREATE INDEX idempotency_by_age ON idempotency(created_at);
