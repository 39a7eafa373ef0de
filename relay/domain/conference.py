"""Preparing a face-to-face conference: consent to meet, the meeting record, preparation steps.

A meeting record names participants by id and the hub's venue; it can never hold a party's
contact details (the venue and notes are checked against the case's vault before saving).
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from datetime import datetime

from moderation import find_contact_details
from relay.domain import gates
from relay.domain.access import case_for, staff_only
from relay.domain.actors import Actor, Staff
from relay.domain.errors import Conflict, Invalid
from relay.domain.hub import Relay, stamp
from relay.domain.participants import vault_values
from relay.storage import meetings, participants
from relay.storage.meetings import MeetingRecord
from relay.storage.tx import Tx

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

    def work(tx: Tx) -> None:
        gates.open_principal(
            tx,
            staff,
            case_id,
            participant_id,
            "Consent to meet is recorded for the two principal participants.",
        )
        now = relay.now()
        meetings.set_meet_consent(tx, participant_id, given, stamp(now))
        relay.audit.append(
            tx,
            at=now,
            actor=staff.label,
            action="conference.consent",
            case_id=case_id,
            subject=participant_id,
            given=given,
        )

    await relay.store.write(work)


@dataclass(frozen=True, slots=True)
class _VaultCheck:
    known: list[str]  # the vault the venue and notes were checked against
    field: str | None  # the first of them that holds a contact detail, if any


class _VaultChanged(Exception):
    """The case's contact details changed between the check and the write: check again."""


def _check_vault(meeting: Meeting, known: list[str]) -> _VaultCheck:
    for field, text in (("venue", meeting.venue), ("notes", meeting.notes)):
        if contains_vault_value(text, known):
            return _VaultCheck(known, field)
    return _VaultCheck(known, None)


def _check_people(tx: Tx, case_id: str, meeting: Meeting) -> None:
    people = {p.id: p for p in participants.of_case(tx, case_id)}
    unknown = [pid for pid in meeting.attendees if pid not in people]
    if unknown:
        raise Invalid("Attendees must be participants of this case.", attendees=unknown)
    principals = [p for p in people.values() if p.role != "supporter"]
    if len(principals) < 2 or any(p.meet_consent != 1 for p in principals):
        raise Conflict("Both principal participants must consent to meet first.")
    usernames = meetings.active_practitioners(tx)
    if any(name not in usernames for name in meeting.practitioners):
        raise Invalid("Every practitioner attending must have a relay account.")


def _save(
    relay: Relay, staff: Staff, case_id: str, meeting: Meeting, check: _VaultCheck, tx: Tx
) -> None:
    case = case_for(tx, staff, case_id)
    if case.ended:
        raise Conflict(f"The case is {case.status}; no meeting can be arranged.")
    _check_people(tx, case_id, meeting)
    if vault_values(tx, case_id) != check.known:
        raise _VaultChanged()
    if check.field is not None:
        raise Invalid(
            f"The {check.field} holds a participant's contact details. A meeting takes place "
            "at a venue the hub chooses, never at a participant's address.",
            field=check.field,
        )
    now = relay.now()
    record = MeetingRecord(
        starts_at=meeting.starts_at.isoformat(timespec="minutes"),
        venue=meeting.venue,
        attendees=list(meeting.attendees),
        practitioners=list(meeting.practitioners),
        notes=meeting.notes,
    )
    meetings.save(tx, case_id, record, updated_by=staff.id, updated_at=stamp(now))
    relay.audit.append(
        tx,
        at=now,
        actor=staff.label,
        action="conference.meeting",
        case_id=case_id,
        subject=case_id,
        attendees=len(meeting.attendees),
    )


async def save_meeting(relay: Relay, actor: Actor, case_id: str, meeting: Meeting) -> None:
    """Save the case's meeting. The venue and notes are checked against the vault before the
    write (a scan never runs inside a transaction); the write checks that the vault is still
    the one checked against, and the check is done again if not."""
    staff = staff_only(actor)

    def vault(tx: Tx) -> list[str]:
        case_for(tx, staff, case_id)
        return vault_values(tx, case_id)

    for _ in range(3):
        check = _check_vault(meeting, await relay.store.read(vault))
        try:
            await relay.store.write(functools.partial(_save, relay, staff, case_id, meeting, check))
        except _VaultChanged:
            continue
        return
    raise Conflict("The case's contact details keep changing; try again in a moment.")


async def mark_step(
    relay: Relay, actor: Actor, case_id: str, participant_id: str, step: str, done_on: str
) -> None:
    staff = staff_only(actor)
    if step not in STEPS:
        raise Invalid(f"step must be one of: {', '.join(STEPS)}.", field="step")

    def work(tx: Tx) -> None:
        case_for(tx, staff, case_id)
        gates.participant(tx, case_id, participant_id)
        meetings.mark_step(
            tx,
            participant_id=participant_id,
            case_id=case_id,
            step=step,
            done_on=done_on,
            recorded_by=staff.id,
        )
        relay.audit.append(
            tx,
            at=relay.now(),
            actor=staff.label,
            action="conference.preparation",
            case_id=case_id,
            subject=participant_id,
            step=step,
        )

    await relay.store.write(work)


def _view(tx: Tx, staff: Staff, case_id: str) -> dict[str, object]:
    case_for(tx, staff, case_id)
    people = participants.of_case(tx, case_id)
    done = meetings.preparation(tx, case_id)
    record = meetings.get(tx, case_id)
    meeting = None
    if record is not None:
        meeting = {
            "starts_at": record.starts_at,
            "venue": record.venue,
            "attendees": record.attendees,
            "practitioners": record.practitioners,
            "notes": record.notes,
        }
    return {
        "participants": [
            {
                "id": p.id,
                "role": p.role,
                "alias": p.alias,
                "meet_consent": None if p.meet_consent is None else bool(p.meet_consent),
                "preparation": [
                    {"step": step, "done_on": done.get(p.id, {}).get(step)} for step in STEPS
                ],
            }
            for p in people
        ],
        "meeting": meeting,
    }


async def conference(relay: Relay, actor: Actor, case_id: str) -> dict[str, object]:
    """Everything about the conference preparation of a case, for practitioners."""
    staff = staff_only(actor)
    return await relay.store.read(lambda tx: _view(tx, staff, case_id))
