-- relay's first schema. Every encrypted column is an AES-GCM blob under the case's data key,
-- bound to (case, table, row, field); see relay/crypto.py.

CREATE TABLE practitioners (
    id TEXT PRIMARY KEY,
    username TEXT NOT NULL UNIQUE,
    display_name TEXT NOT NULL,
    role TEXT NOT NULL CHECK (role IN ('specialist', 'volunteer')),
    password_hash TEXT NOT NULL,
    password_changed_at TEXT NOT NULL,
    active INTEGER NOT NULL DEFAULT 1,
    created_at TEXT NOT NULL
);

CREATE TABLE cases (
    id TEXT PRIMARY KEY,
    status TEXT NOT NULL CHECK (status IN ('intake', 'active', 'paused', 'closed', 'withdrawn')),
    modality TEXT NOT NULL CHECK (modality IN ('letters', 'shuttle', 'conference')),
    risk_level TEXT NOT NULL CHECK (risk_level IN ('standard', 'high')),
    data_key BLOB,                       -- wrapped by a master key; NULL once shredded
    crime_reference BLOB,                -- encrypted
    admission_at TEXT,
    admission_notes BLOB,                -- encrypted
    withdrawn_by TEXT,                   -- participant id of the principal who withdrew
    created_by TEXT NOT NULL REFERENCES practitioners(id),
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    ended_at TEXT,
    shredded_at TEXT
);

CREATE TABLE case_assignments (
    case_id TEXT NOT NULL REFERENCES cases(id),
    practitioner_id TEXT NOT NULL REFERENCES practitioners(id),
    assigned_at TEXT NOT NULL,
    PRIMARY KEY (case_id, practitioner_id)
);
CREATE INDEX case_assignments_by_practitioner ON case_assignments(practitioner_id);

CREATE TABLE participants (
    id TEXT PRIMARY KEY,
    case_id TEXT NOT NULL REFERENCES cases(id),
    role TEXT NOT NULL CHECK (role IN ('harmed', 'responsible', 'supporter')),
    alias TEXT NOT NULL,
    supports TEXT REFERENCES participants(id),
    vault BLOB,                          -- encrypted JSON {name, email, phone, address}
    invite_hash TEXT UNIQUE,             -- sha256 of the one-time code; NULL once used
    login TEXT UNIQUE,                   -- handle chosen at activation
    passphrase_hash TEXT,
    activated_at TEXT,
    consent INTEGER,                     -- NULL unanswered, 1 given, 0 refused
    consent_at TEXT,
    supporter_read INTEGER NOT NULL DEFAULT 0,
    read_receipts INTEGER NOT NULL DEFAULT 0,
    window_json TEXT,                    -- NULL: the hub default; 'null': any time
    withdrawn_at TEXT,
    created_at TEXT NOT NULL
);
CREATE INDEX participants_by_case ON participants(case_id);

CREATE TABLE assessments (
    id TEXT PRIMARY KEY,
    case_id TEXT NOT NULL REFERENCES cases(id),
    participant_id TEXT NOT NULL REFERENCES participants(id),
    outcome TEXT NOT NULL CHECK (outcome IN ('safe', 'unsafe')),
    notes BLOB,                          -- encrypted
    assessed_by TEXT NOT NULL REFERENCES practitioners(id),
    assessed_at TEXT NOT NULL
);
CREATE INDEX assessments_by_participant ON assessments(participant_id, assessed_at);

CREATE TABLE items (
    id TEXT PRIMARY KEY,
    seq INTEGER NOT NULL UNIQUE,         -- global order of writing
    case_id TEXT NOT NULL REFERENCES cases(id),
    kind TEXT NOT NULL CHECK (kind IN ('letter', 'message')),
    author_id TEXT NOT NULL REFERENCES participants(id),
    author_role TEXT NOT NULL,
    sender_id TEXT NOT NULL REFERENCES participants(id),     -- the principal whose side wrote
    recipient_id TEXT NOT NULL REFERENCES participants(id),  -- the other side's principal
    entered_by TEXT REFERENCES practitioners(id),            -- paper letters
    state TEXT NOT NULL CHECK (state IN
        ('pending', 'countersign', 'approved', 'delivered', 'returned', 'rejected', 'halted')),
    version INTEGER NOT NULL,
    original BLOB NOT NULL,              -- encrypted: the author's latest text
    body BLOB NOT NULL,                  -- encrypted: the current (possibly redacted) text
    findings BLOB NOT NULL,              -- encrypted JSON
    dismissed BLOB NOT NULL,             -- encrypted JSON {finding id: reason}
    note BLOB,                           -- encrypted: return / reject note to the author
    content_note BLOB,                   -- encrypted: what the recipient sees before opening
    recipient_state TEXT CHECK (recipient_state IN ('waiting', 'opened', 'declined')),
    created_at TEXT NOT NULL,
    waiting_since TEXT NOT NULL,         -- when it last entered the practitioners' queue
    approved_at TEXT,
    delivered_at TEXT,
    opened_at TEXT,
    declined_at TEXT,
    help_requested_at TEXT,
    claimed_by TEXT REFERENCES practitioners(id),
    claimed_until TEXT,
    updated_at TEXT NOT NULL
);
-- The queue's first page must stay flat as the store grows: a partial index holds only the
-- items awaiting a decision, in the order they are shown.
CREATE INDEX items_awaiting ON items(waiting_since, seq) WHERE state IN ('pending', 'countersign');
CREATE INDEX items_approved ON items(case_id, approved_at) WHERE state = 'approved';
CREATE INDEX items_by_case ON items(case_id, seq);
CREATE INDEX items_by_recipient ON items(recipient_id, delivered_at);
CREATE INDEX items_by_author ON items(author_id, seq);

CREATE TABLE notifications (
    id TEXT PRIMARY KEY,
    case_id TEXT NOT NULL REFERENCES cases(id),
    participant_id TEXT NOT NULL REFERENCES participants(id),
    item_id TEXT NOT NULL UNIQUE REFERENCES items(id),
    state TEXT NOT NULL CHECK (state IN ('queued', 'sent', 'dropped', 'failed')),
    attempts INTEGER NOT NULL DEFAULT 0,
    next_attempt_at TEXT NOT NULL,
    last_error TEXT,
    created_at TEXT NOT NULL,
    sent_at TEXT
);
CREATE INDEX notifications_due ON notifications(next_attempt_at) WHERE state = 'queued';

CREATE TABLE sessions (
    token_hash TEXT PRIMARY KEY,
    kind TEXT NOT NULL CHECK (kind IN ('staff', 'party')),
    subject_id TEXT NOT NULL,
    csrf_token TEXT NOT NULL,
    created_at TEXT NOT NULL,
    expires_at TEXT NOT NULL,
    revoked_at TEXT
);
CREATE INDEX sessions_by_subject ON sessions(subject_id);

CREATE TABLE login_attempts (
    key TEXT PRIMARY KEY,                -- sha256 of the username or login handle
    failures INTEGER NOT NULL,
    last_failure_at TEXT NOT NULL,
    locked_until TEXT
);

CREATE TABLE idempotency (
    principal TEXT NOT NULL,
    key TEXT NOT NULL,
    fingerprint TEXT NOT NULL,           -- method and path of the first request
    status INTEGER NOT NULL,
    body BLOB NOT NULL,                  -- encrypted response body
    created_at TEXT NOT NULL,
    PRIMARY KEY (principal, key)
);

CREATE TABLE audit_events (
    seq INTEGER PRIMARY KEY,
    at TEXT NOT NULL,
    actor TEXT NOT NULL,
    action TEXT NOT NULL,
    case_id TEXT,
    subject TEXT,
    details TEXT NOT NULL,
    prev_mac TEXT NOT NULL,
    mac TEXT NOT NULL
);
CREATE INDEX audit_by_case ON audit_events(case_id, seq);
CREATE INDEX audit_by_subject ON audit_events(subject, seq);

-- Append-only: the application never updates or deletes an event. (Someone with raw write
-- access can drop these triggers; the MAC chain is what catches that.)
CREATE TRIGGER audit_events_no_update BEFORE UPDATE ON audit_events
BEGIN SELECT RAISE(ABORT, 'audit events are append-only'); END;
CREATE TRIGGER audit_events_no_delete BEFORE DELETE ON audit_events
BEGIN SELECT RAISE(ABORT, 'audit events are append-only'); END;
