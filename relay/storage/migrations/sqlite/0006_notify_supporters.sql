-- A delivery now notifies the recipient and, where the recipient allowed it, their supporter:
-- one notification per item and person, no longer one per item. SQLite cannot drop a UNIQUE
-- constraint in place, so the table is rebuilt (same columns, same rows).
CREATE TABLE notifications_new (
    id TEXT PRIMARY KEY,
    case_id TEXT NOT NULL REFERENCES cases(id),
    participant_id TEXT NOT NULL REFERENCES participants(id),
    item_id TEXT NOT NULL REFERENCES items(id),
    state TEXT NOT NULL CHECK (state IN ('queued', 'sent', 'dropped', 'failed')),
    attempts INTEGER NOT NULL DEFAULT 0,
    next_attempt_at TEXT NOT NULL,
    last_error TEXT,
    created_at TEXT NOT NULL,
    sent_at TEXT,
    UNIQUE (item_id, participant_id)
);
INSERT INTO notifications_new
    SELECT id, case_id, participant_id, item_id, state, attempts, next_attempt_at, last_error,
           created_at, sent_at
    FROM notifications;
DROP TABLE notifications;
ALTER TABLE notifications_new RENAME TO notifications;
CREATE INDEX notifications_due ON notifications(next_attempt_at) WHERE state = 'queued';
-- Per-case counts, withdrawal's drop and the retry read one case's rows, not the whole table.
CREATE INDEX notifications_by_case ON notifications(case_id, state);
