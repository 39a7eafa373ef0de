-- The dashboard's "asked for help" list walks only the items where someone asked, newest first,
-- instead of every item of every case the practitioner can see (O(store) before).
CREATE INDEX items_help ON items(help_requested_at) WHERE help_requested_at IS NOT NULL;
