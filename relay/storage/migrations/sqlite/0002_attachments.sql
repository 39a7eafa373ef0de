-- Scans and photos of letters, attached to items. Only the cleaned file is stored (re-encoded
-- without metadata by relay/attachments.py), AES-GCM encrypted under the case's data key and
-- bound to (case, 'attachments', id, 'data'). Rows are deleted when the case is shredded.

CREATE TABLE attachments (
    id TEXT PRIMARY KEY,
    item_id TEXT NOT NULL REFERENCES items(id),
    case_id TEXT NOT NULL REFERENCES cases(id),
    n INTEGER NOT NULL CHECK (n >= 1),   -- position on the item; names the download
    media_type TEXT NOT NULL CHECK (media_type IN ('image/jpeg', 'image/png', 'application/pdf')),
    size INTEGER NOT NULL,               -- bytes of the cleaned file
    data BLOB NOT NULL,                  -- encrypted
    added_by TEXT NOT NULL,              -- audit label of who attached it
    created_at TEXT NOT NULL,
    UNIQUE (item_id, n)
);
CREATE INDEX attachments_by_case ON attachments(case_id);
