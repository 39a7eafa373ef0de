"""Preparing a face-to-face conference: consent to meet, the meeting record, preparation steps.

A meeting record names participants by id and the hub's venue; it can never hold a party's
contact details (the venue and notes are checked against the case's vault before saving).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import datetime

from moderation import find_contact_details
from relay.domain import gates
from relay.domain.access import TERMINAL, case_row, staff_only
from relay.domain.actors import Actor
from relay.domain.errors import Conflict, Invalid
from relay.domain.hub import Relay, stamp
from relay.domain.participants import vault_values
from relay.storage import fetch_all

STEPS = (
    "first_meeting",
    "expectations_explained",
    "support_plan",
    "ground_rules_agreed",
    "final_check",
)


@dataclass(frozen=True, slots=True)
class Meeting:
    starts_at: datetime  # naive, the hub's local time
    venue: str
    attendees: tuple[str, ...]
    practitioners: tuple[str, ...]
    notes: str = ""


def _squeeze(text: str) -> str:
    return re.sub(r"[^0-9a-z]", "", text.casefold())


def contains_vault_value(text: str, vault: list[str]) -> bool:
    """True if `text` holds any vault value, whole or its first address line, in any spacing."""
    if any(f.kind == "known" for f in find_contact_details(text, vault)):
        return True
    squeezed = _squeeze(text)
    for value in vault:
        for part in [value, value.split(",")[0]]:
            token = _squeeze(part)
            if len(token) >= 6 and token in squeezed:
                return True
    return False


async def record_meet_consent(
    relay: Relay, actor: Actor, case_id: str, participant_id: str, given: bool
) -> None:
    staff = staff_only(actor)
    async with relay.db.write() as conn:
        await gates.open_principal(
            conn,
            staff,
            case_id,
            participant_id,
            "Consent to meet is recorded for the two principal participants.",
        )
        now = relay.now()
        await conn.execute(
            "UPDATE participants SET meet_consent = ?, meet_consent_at = ? WHERE id = ?",
            (int(given), stamp(now), participant_id),
        )
        await relay.audit.append(
            conn,
            at=now,
            actor=staff.label,
            action="conference.consent",
            case_id=case_id,
            subject=participant_id,
            given=given,
        )


async def save_meeting(relay: Relay, actor: Actor, case_id: str, meeting: Meeting) -> None:
    staff = staff_only(actor)
    async with relay.db.write() as conn:
        case = await case_row(conn, staff, case_id)
        if case["status"] in TERMINAL:
            raise Conflict(f"The case is {case['status']}; no meeting can be arranged.")
        people = await fetch_all(
            conn, "SELECT id, role, meet_consent FROM participants WHERE case_id = ?", (case_id,)
        )
        known = {row["id"]: row for row in people}
        unknown = [pid for pid in meeting.attendees if pid not in known]
        if unknown:
            raise Invalid("Attendees must be participants of this case.", attendees=unknown)
        principals = [row for row in people if row["role"] != "supporter"]
        if len(principals) < 2 or any(row["meet_consent"] != 1 for row in principals):
            raise Conflict("Both principal participants must consent to meet first.")
        staff_rows = await fetch_all(conn, "SELECT username FROM practitioners WHERE active = 1")
        usernames = {row[0] for row in staff_rows}
        if any(name not in usernames for name in meeting.practitioners):
            raise Invalid("Every practitioner attending must have a relay account.")
        vault = await vault_values(relay, conn, case_id)
        for field, text in (("venue", meeting.venue), ("notes", meeting.notes)):
            if contains_vault_value(text, vault):
                raise Invalid(
                    f"The {field} holds a participant's contact details. A meeting takes place "
                    "at a venue the hub chooses, never at a participant's address.",
                    field=field,
                )
        cipher = await relay.cipher(conn, case_id)
        now = relay.now()
        await conn.execute(
            "INSERT INTO meetings VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT(case_id) DO UPDATE "
            "SET starts_at = excluded.starts_at, venue = excluded.venue, "
            "attendees = excluded.attendees, practitioners = excluded.practitioners, "
            "notes = excluded.notes, updated_by = excluded.updated_by, "
            "updated_at = excluded.updated_at",
            (
                case_id,
                meeting.starts_at.isoformat(timespec="minutes"),
                cipher.seal("meetings", case_id, "venue", meeting.venue),
                json.dumps(list(meeting.attendees)),
                json.dumps(list(meeting.practitioners)),
                cipher.seal("meetings", case_id, "notes", meeting.notes),
                staff.id,
                stamp(now),
            ),
        )
        await relay.audit.append(
            conn,
            at=now,
            actor=staff.label,
            action="conference.meeting",
            case_id=case_id,
            subject=case_id,
            attendees=len(meeting.attendees),
        )


async def mark_step(
    relay: Relay, actor: Actor, case_id: str, participant_id: str, step: str, done_on: str
) -> None:
    staff = staff_only(actor)
    if step not in STEPS:
        raise Invalid(f"step must be one of: {', '.join(STEPS)}.", field="step")
    async with relay.db.write() as conn:
        await case_row(conn, staff, case_id)
        await gates.participant(conn, case_id, participant_id)
        await conn.execute(
            "INSERT OR REPLACE INTO preparation VALUES (?, ?, ?, ?, ?)",
            (participant_id, case_id, step, done_on, staff.id),
        )
        await relay.audit.append(
            conn,
            at=relay.now(),
            actor=staff.label,
            action="conference.preparation",
            case_id=case_id,
            subject=participant_id,
            step=step,
        )


async def conference(relay: Relay, actor: Actor, case_id: str) -> dict[str, object]:
    """Everything about the conference preparation of a case, for practitioners."""
    staff = staff_only(actor)
    conn = relay.db.reader
    await case_row(conn, staff, case_id)
    people = await fetch_all(
        conn,
        "SELECT id, role, alias, meet_consent FROM participants WHERE case_id = ? "
        "ORDER BY created_at",
        (case_id,),
    )
    steps = await fetch_all(
        conn, "SELECT participant_id, step, done_on FROM preparation WHERE case_id = ?", (case_id,)
    )
    done: dict[str, dict[str, str]] = {}
    for pid, step, done_on in steps:
        done.setdefault(pid, {})[step] = done_on
    meeting_rows = await fetch_all(conn, "SELECT * FROM meetings WHERE case_id = ?", (case_id,))
    meeting = None
    if meeting_rows:
        row = meeting_rows[0]
        cipher = await relay.cipher(conn, case_id)
        meeting = {
            "starts_at": row["starts_at"],
            "venue": cipher.open("meetings", case_id, "venue", row["venue"]),
            "attendees": json.loads(row["attendees"]),
            "practitioners": json.loads(row["practitioners"]),
            "notes": cipher.open("meetings", case_id, "notes", row["notes"]),
        }
    return {
        "participants": [
            {
                "id": p["id"],
                "role": p["role"],
                "alias": p["alias"],
                "meet_consent": None if p["meet_consent"] is None else bool(p["meet_consent"]),
                "preparation": [
                    {"step": step, "done_on": done.get(p["id"], {}).get(step)} for step in STEPS
                ],
            }
            for p in people
        ],
        "meeting": meeting,
    }
