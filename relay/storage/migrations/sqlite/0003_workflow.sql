-- The practitioner's daily workflow: saved reasons, conference preparation, case outcomes.

-- Kind, consistent wording for returning or rejecting a letter; generic text, not case content.
CREATE TABLE saved_reasons (
    id TEXT PRIMARY KEY,
    purpose TEXT NOT NULL CHECK (purpose IN ('return', 'reject')),
    text TEXT NOT NULL,
    position INTEGER NOT NULL,
    updated_by TEXT NOT NULL,
    updated_at TEXT NOT NULL
);

-- Consent to meet face to face is separate from consent to the process.
ALTER TABLE participants ADD COLUMN meet_consent INTEGER;
ALTER TABLE participants ADD COLUMN meet_consent_at TEXT;

-- One meeting record per case at most; the venue is the hub's, never a participant's address.
CREATE TABLE meetings (
    case_id TEXT PRIMARY KEY REFERENCES cases(id),
    starts_at TEXT NOT NULL,             -- local date and time in the hub's time zone
    venue BLOB NOT NULL,                 -- encrypted
    attendees TEXT NOT NULL,             -- JSON list of participant ids
    practitioners TEXT NOT NULL,         -- JSON list of practitioner usernames
    notes BLOB,                          -- encrypted
    updated_by TEXT NOT NULL,
    updated_at TEXT NOT NULL
);

CREATE TABLE preparation (
    participant_id TEXT NOT NULL REFERENCES participants(id),
    case_id TEXT NOT NULL REFERENCES cases(id),
    step TEXT NOT NULL,
    done_on TEXT NOT NULL,               -- a date
    recorded_by TEXT NOT NULL,
    PRIMARY KEY (participant_id, step)
);

ALTER TABLE cases ADD COLUMN outcomes TEXT;        -- JSON list, recorded at close
ALTER TABLE cases ADD COLUMN agreement_terms BLOB; -- encrypted
