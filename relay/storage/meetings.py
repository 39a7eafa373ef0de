"""Conference preparation: consent to meet, the meeting record (venue and notes sealed) and
each participant's preparation steps."""

from __future__ import annotations

import json
from dataclasses import dataclass

from relay.storage import sealed
from relay.storage.tx import Tx


@dataclass(frozen=True, slots=True)
class MeetingRecord:
    """A case's meeting, opened; `starts_at` is local time, `YYYY-MM-DDTHH:MM`."""

    starts_at: str
    venue: str
    attendees: list[str]  # participant ids
    practitioners: list[str]  # practitioner usernames
    notes: str


def set_meet_consent(tx: Tx, participant_id: str, given: bool, at: str) -> None:
    tx.run(
        "UPDATE participants SET meet_consent = ?, meet_consent_at = ? WHERE id = ?",
        (int(given), at, participant_id),
    )


def active_practitioners(tx: Tx) -> set[str]:
    """The usernames of every active practitioner account."""
    return {row[0] for row in tx.rows("SELECT username FROM practitioners WHERE active = 1")}


def get(tx: Tx, case_id: str) -> MeetingRecord | None:
    row = tx.one(
        "SELECT starts_at, venue, attendees, practitioners, notes FROM meetings WHERE case_id = ?",
        (case_id,),
    )
    if row is None:
        return None
    notes = sealed.open_optional(tx, case_id, "meetings", case_id, "notes", row["notes"])
    return MeetingRecord(
        starts_at=row["starts_at"],
        venue=sealed.open_text(tx, case_id, "meetings", case_id, "venue", row["venue"]),
        attendees=json.loads(row["attendees"]),
        practitioners=json.loads(row["practitioners"]),
        notes=notes or "",
    )


def save(tx: Tx, case_id: str, meeting: MeetingRecord, *, updated_by: str, updated_at: str) -> None:
    """Create or replace the case's one meeting record (venue and notes in plain text)."""
    tx.run(
        "INSERT INTO meetings (case_id, starts_at, venue, attendees, practitioners, notes, "
        "updated_by, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?) "
        "ON CONFLICT (case_id) DO UPDATE SET starts_at = excluded.starts_at, "
        "venue = excluded.venue, attendees = excluded.attendees, "
        "practitioners = excluded.practitioners, notes = excluded.notes, "
        "updated_by = excluded.updated_by, updated_at = excluded.updated_at",
        (
            case_id,
            meeting.starts_at,
            sealed.seal(tx, case_id, "meetings", case_id, "venue", meeting.venue),
            json.dumps(meeting.attendees),
            json.dumps(meeting.practitioners),
            sealed.seal(tx, case_id, "meetings", case_id, "notes", meeting.notes),
            updated_by,
            updated_at,
        ),
    )


def mark_step(
    tx: Tx, *, participant_id: str, case_id: str, step: str, done_on: str, recorded_by: str
) -> None:
    """Record (or re-date) one preparation step of a participant."""
    tx.run(
        "INSERT INTO preparation (participant_id, case_id, step, done_on, recorded_by) "
        "VALUES (?, ?, ?, ?, ?) ON CONFLICT (participant_id, step) DO UPDATE SET "
        "case_id = excluded.case_id, done_on = excluded.done_on, "
        "recorded_by = excluded.recorded_by",
        (participant_id, case_id, step, done_on, recorded_by),
    )


def preparation(tx: Tx, case_id: str) -> dict[str, dict[str, str]]:
    """`{participant id: {step: done_on}}` for the case's recorded steps."""
    done: dict[str, dict[str, str]] = {}
    for row in tx.rows(
        "SELECT participant_id, step, done_on FROM preparation WHERE case_id = ?", (case_id,)
    ):
        done.setdefault(row["participant_id"], {})[row["step"]] = row["done_on"]
    return done
