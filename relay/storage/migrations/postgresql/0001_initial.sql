-- relay's schema on PostgreSQL, as it stood at SQLite migration 0006 when PostgreSQL support
-- began (0002 to 0006 are folded in here and are empty on this side). Same tables, columns and
-- meanings as migrations/sqlite/: every encrypted column (BYTEA) is AES-GCM under the case's
-- data key, bound to (case, table, row, field); times are ISO-8601 UTC text, as on SQLite.

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
    data_key BYTEA,
    crime_reference BYTEA,
    admission_at TEXT,
    admission_notes BYTEA,
    withdrawn_by TEXT,
    created_by TEXT NOT NULL REFERENCES practitioners(id),
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    ended_at TEXT,
    shredded_at TEXT,
    outcomes TEXT,
    agreement_terms BYTEA
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
    vault BYTEA,
    invite_hash TEXT UNIQUE,
    login TEXT UNIQUE,
    passphrase_hash TEXT,
    activated_at TEXT,
    consent INTEGER,
    consent_at TEXT,
    supporter_read INTEGER NOT NULL DEFAULT 0,
    read_receipts INTEGER NOT NULL DEFAULT 0,
    window_json TEXT,
    withdrawn_at TEXT,
    created_at TEXT NOT NULL,
    meet_consent INTEGER,
    meet_consent_at TEXT
);
CREATE INDEX participants_by_case ON participants(case_id);

CREATE TABLE assessments (
    id TEXT PRIMARY KEY,
    case_id TEXT NOT NULL REFERENCES cases(id),
    participant_id TEXT NOT NULL REFERENCES participants(id),
    outcome TEXT NOT NULL CHECK (outcome IN ('safe', 'unsafe')),
    notes BYTEA,
    assessed_by TEXT NOT NULL REFERENCES practitioners(id),
    assessed_at TEXT NOT NULL
);
CREATE INDEX assessments_by_participant ON assessments(participant_id, assessed_at);

CREATE TABLE items (
    id TEXT PRIMARY KEY,
    seq BIGINT NOT NULL UNIQUE,
    case_id TEXT NOT NULL REFERENCES cases(id),
    kind TEXT NOT NULL CHECK (kind IN ('letter', 'message')),
    author_id TEXT NOT NULL REFERENCES participants(id),
    author_role TEXT NOT NULL,
    sender_id TEXT NOT NULL REFERENCES participants(id),
    recipient_id TEXT NOT NULL REFERENCES participants(id),
    entered_by TEXT REFERENCES practitioners(id),
    state TEXT NOT NULL CHECK (state IN
        ('pending', 'countersign', 'approved', 'delivered', 'returned', 'rejected', 'halted')),
    version INTEGER NOT NULL,
    original BYTEA NOT NULL,
    body BYTEA NOT NULL,
    findings BYTEA NOT NULL,
    dismissed BYTEA NOT NULL,
    note BYTEA,
    content_note BYTEA,
    recipient_state TEXT CHECK (recipient_state IN ('waiting', 'opened', 'declined')),
    created_at TEXT NOT NULL,
    waiting_since TEXT NOT NULL,
    approved_at TEXT,
    delivered_at TEXT,
    opened_at TEXT,
    declined_at TEXT,
    help_requested_at TEXT,
    claimed_by TEXT REFERENCES practitioners(id),
    claimed_until TEXT,
    updated_at TEXT NOT NULL
);
CREATE INDEX items_awaiting ON items(waiting_since, seq) WHERE state IN ('pending', 'countersign');
CREATE INDEX items_approved ON items(case_id, approved_at) WHERE state = 'approved';
CREATE INDEX items_by_case ON items(case_id, seq);
CREATE INDEX items_by_recipient ON items(recipient_id, delivered_at);
CREATE INDEX items_by_author ON items(author_id, seq);
CREATE INDEX items_by_state ON items(state, waiting_since, seq);
CREATE INDEX items_help ON items(help_requested_at) WHERE help_requested_at IS NOT NULL;

CREATE TABLE notifications (
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
CREATE INDEX notifications_due ON notifications(next_attempt_at) WHERE state = 'queued';
CREATE INDEX notifications_by_case ON notifications(case_id, state);

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
    key TEXT PRIMARY KEY,
    failures INTEGER NOT NULL,
    last_failure_at TEXT NOT NULL,
    locked_until TEXT
);

CREATE TABLE idempotency (
    principal TEXT NOT NULL,
    key TEXT NOT NULL,
    fingerprint TEXT NOT NULL,
    status INTEGER NOT NULL,
    body BYTEA NOT NULL,
    created_at TEXT NOT NULL,
    PRIMARY KEY (principal, key)
);
CREATE INDEX idempotency_by_age ON idempotency(created_at);

CREATE TABLE audit_events (
    seq BIGINT PRIMARY KEY,
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
-- access can drop this trigger; the MAC chain is what catches that.)
CREATE FUNCTION audit_events_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'audit events are append-only';
END;
$$;
CREATE TRIGGER audit_events_no_change BEFORE UPDATE OR DELETE ON audit_events
    FOR EACH ROW EXECUTE FUNCTION audit_events_append_only();

CREATE TABLE attachments (
    id TEXT PRIMARY KEY,
    item_id TEXT NOT NULL REFERENCES items(id),
    case_id TEXT NOT NULL REFERENCES cases(id),
    n INTEGER NOT NULL CHECK (n >= 1),
    media_type TEXT NOT NULL CHECK (media_type IN ('image/jpeg', 'image/png', 'application/pdf')),
    size INTEGER NOT NULL,
    data BYTEA NOT NULL,
    added_by TEXT NOT NULL,
    created_at TEXT NOT NULL,
    UNIQUE (item_id, n)
);
CREATE INDEX attachments_by_case ON attachments(case_id);

CREATE TABLE saved_reasons (
    id TEXT PRIMARY KEY,
    purpose TEXT NOT NULL CHECK (purpose IN ('return', 'reject')),
    text TEXT NOT NULL,
    position INTEGER NOT NULL,
    updated_by TEXT NOT NULL,
    updated_at TEXT NOT NULL
);

CREATE TABLE meetings (
    case_id TEXT PRIMARY KEY REFERENCES cases(id),
    starts_at TEXT NOT NULL,
    venue BYTEA NOT NULL,
    attendees TEXT NOT NULL,
    practitioners TEXT NOT NULL,
    notes BYTEA,
    updated_by TEXT NOT NULL,
    updated_at TEXT NOT NULL
);

CREATE TABLE preparation (
    participant_id TEXT NOT NULL REFERENCES participants(id),
    case_id TEXT NOT NULL REFERENCES cases(id),
    step TEXT NOT NULL,
    done_on TEXT NOT NULL,
    recorded_by TEXT NOT NULL,
    PRIMARY KEY (participant_id, step)
);
