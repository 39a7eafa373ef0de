"""The RJ gates: consent, admission and each principal's risk assessment.

All are required to activate a case; an `unsafe` assessment pauses an active case at once.
"""

from __future__ import annotations

from relay.domain import cases
from relay.domain.access import case_row, staff_only
from relay.domain.actors import Actor
from relay.domain.errors import Conflict, NotFound
from relay.domain.hub import Relay, new_id, stamp
from relay.storage import Connection, Row, fetch_all

GATES = (
    "consent_harmed",
    "consent_responsible",
    "admission",
    "assessment_harmed",
    "assessment_responsible",
)


async def gates_held(conn: Connection, case: Row) -> dict[str, bool]:
    """Which activation gates hold for the case right now."""
    result = dict.fromkeys(GATES, False)
    result["admission"] = case["admission_at"] is not None
    principals = await fetch_all(
        conn,
        "SELECT p.role, p.consent, (SELECT outcome FROM assessments a "
        "WHERE a.participant_id = p.id ORDER BY a.assessed_at DESC, a.rowid DESC LIMIT 1) "
        "FROM participants p "
        "WHERE p.case_id = ? AND p.role IN ('harmed', 'responsible')",
        (case["id"],),
    )
    for role, consent, outcome in principals:
        result[f"consent_{role}"] = consent == 1
        result[f"assessment_{role}"] = outcome == "safe"
    return result


async def participant(conn: Connection, case_id: str, participant_id: str) -> Row:
    rows = await fetch_all(
        conn, "SELECT * FROM participants WHERE id = ? AND case_id = ?", (participant_id, case_id)
    )
    if not rows:
        raise NotFound()
    return rows[0]


async def open_principal(
    conn: Connection, staff: Actor, case_id: str, participant_id: str, refusal: str
) -> tuple[Row, Row]:
    """The open case and one of its two principals, for recording something about them."""
    case = await case_row(conn, staff, case_id)
    cases.ensure_open(case)
    person = await participant(conn, case_id, participant_id)
    if person["role"] == "supporter":
        raise Conflict(refusal)
    return case, person


async def record_consent(
    relay: Relay, actor: Actor, case_id: str, participant_id: str, given: bool
) -> None:
    staff = staff_only(actor)
    async with relay.db.write() as conn:
        case, _ = await open_principal(
            conn,
            staff,
            case_id,
            participant_id,
            "Consent is recorded for the person harmed and the person responsible.",
        )
        if not given and case["status"] == "active":
            raise Conflict("The case is active: to stop it, record a withdrawal instead.")
        now = relay.now()
        await conn.execute(
            "UPDATE participants SET consent = ?, consent_at = ? WHERE id = ?",
            (int(given), stamp(now), participant_id),
        )
        await relay.audit.append(
            conn,
            at=now,
            actor=staff.label,
            action="gate.consent",
            case_id=case_id,
            subject=participant_id,
            given=given,
        )


async def record_assessment(
    relay: Relay, actor: Actor, case_id: str, participant_id: str, outcome: str, notes: str
) -> dict[str, object]:
    staff = staff_only(actor)
    async with relay.db.write() as conn:
        case, _ = await open_principal(
            conn,
            staff,
            case_id,
            participant_id,
            "Assessments are recorded for the two principal participants.",
        )
        cipher = await relay.cipher(conn, case_id)
        assessment_id = new_id("asm")
        now = relay.now()
        await conn.execute(
            "INSERT INTO assessments VALUES (?, ?, ?, ?, ?, ?, ?)",
            (
                assessment_id,
                case_id,
                participant_id,
                outcome,
                cipher.seal("assessments", assessment_id, "notes", notes),
                staff.id,
                stamp(now),
            ),
        )
        await relay.audit.append(
            conn,
            at=now,
            actor=staff.label,
            action="gate.assessment",
            case_id=case_id,
            subject=participant_id,
            outcome=outcome,
        )
        status = case["status"]
        if outcome == "unsafe" and status == "active":
            await cases.set_status(relay, conn, staff.label, case_id, "paused", reason="unsafe")
            status = "paused"
    return {"id": assessment_id, "outcome": outcome, "case_status": status}


async def record_admission(relay: Relay, actor: Actor, case_id: str, notes: str) -> None:
    staff = staff_only(actor)
    async with relay.db.write() as conn:
        case = await case_row(conn, staff, case_id)
        cases.ensure_open(case)
        cipher = await relay.cipher(conn, case_id)
        now = relay.now()
        await conn.execute(
            "UPDATE cases SET admission_at = ?, admission_notes = ?, updated_at = ? WHERE id = ?",
            (
                stamp(now),
                cipher.seal("cases", case_id, "admission_notes", notes),
                stamp(now),
                case_id,
            ),
        )
        await relay.audit.append(
            conn,
            at=now,
            actor=staff.label,
            action="gate.admission",
            case_id=case_id,
            subject=case_id,
        )


async def set_supporter_access(
    relay: Relay, actor: Actor, case_id: str, principal_id: str, read: bool
) -> None:
    staff = staff_only(actor)
    async with relay.db.write() as conn:
        await case_row(conn, staff, case_id)
        person = await participant(conn, case_id, principal_id)
        if person["role"] == "supporter":
            raise Conflict("Name the principal participant whose permission this records.")
        await conn.execute(
            "UPDATE participants SET supporter_read = ? WHERE id = ?", (int(read), principal_id)
        )
        await relay.audit.append(
            conn,
            at=relay.now(),
            actor=staff.label,
            action="case.supporter_access",
            case_id=case_id,
            subject=principal_id,
            read=read,
        )
