"""Cases: creation, assignment, the RJ gates and the lifecycle."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass

from relay.crypto import new_data_key
from relay.domain import delivery, gates
from relay.domain.access import TERMINAL, case_row, specialist_only, staff_only
from relay.domain.actors import Actor, Party
from relay.domain.errors import Conflict, Forbidden, Invalid
from relay.domain.hub import Relay, new_id, stamp
from relay.storage import Connection, Row, fetch_all

OUTCOMES = ("questions_answered", "apology_given", "agreement", "no_outcome")


@dataclass(frozen=True, slots=True)
class CaseSummary:
    id: str
    status: str
    modality: str
    risk_level: str


async def create_case(
    relay: Relay, actor: Actor, *, crime_reference: str, modality: str, risk_level: str
) -> CaseSummary:
    staff = staff_only(actor)
    case_id = new_id("cas")
    now = relay.now()
    wrapped = relay.keys.wrap(case_id, new_data_key())
    async with relay.db.write() as conn:
        await conn.execute(
            "INSERT INTO cases (id, status, modality, risk_level, data_key, created_by, "
            "created_at, updated_at) VALUES (?, 'intake', ?, ?, ?, ?, ?, ?)",
            (case_id, modality, risk_level, wrapped, staff.id, stamp(now), stamp(now)),
        )
        cipher = await relay.cipher(conn, case_id)
        await conn.execute(
            "UPDATE cases SET crime_reference = ? WHERE id = ?",
            (cipher.seal("cases", case_id, "crime_reference", crime_reference), case_id),
        )
        if not staff.is_specialist:  # a volunteer who opens a case works on it
            await conn.execute(
                "INSERT INTO case_assignments VALUES (?, ?, ?)", (case_id, staff.id, stamp(now))
            )
        await relay.audit.append(
            conn,
            at=now,
            actor=staff.label,
            action="case.created",
            case_id=case_id,
            subject=case_id,
            modality=modality,
            risk_level=risk_level,
        )
    return CaseSummary(case_id, "intake", modality, risk_level)


async def list_cases(relay: Relay, actor: Actor) -> list[CaseSummary]:
    staff = staff_only(actor)
    conn = relay.db.reader
    if staff.is_specialist:
        rows = await fetch_all(
            conn, "SELECT id, status, modality, risk_level FROM cases ORDER BY created_at"
        )
    else:
        rows = await fetch_all(
            conn,
            "SELECT c.id, c.status, c.modality, c.risk_level FROM cases c "
            "JOIN case_assignments a ON a.case_id = c.id WHERE a.practitioner_id = ? "
            "ORDER BY c.created_at",
            (staff.id,),
        )
    return [CaseSummary(*row) for row in rows]


async def case_detail(relay: Relay, actor: Actor, case_id: str) -> dict[str, object]:
    staff_only(actor)
    conn = relay.db.reader
    case = await case_row(conn, actor, case_id)
    held = await gates.gates_held(conn, case)
    people = await fetch_all(
        conn,
        "SELECT id, role, alias, supports, activated_at, consent, supporter_read, withdrawn_at "
        "FROM participants WHERE case_id = ? ORDER BY created_at",
        (case_id,),
    )
    assigned = await fetch_all(
        conn,
        "SELECT p.username FROM case_assignments a JOIN practitioners p "
        "ON p.id = a.practitioner_id WHERE a.case_id = ? ORDER BY p.username",
        (case_id,),
    )
    # Practitioners see whether notifications went out (and which gave up), never to whom.
    notified = dict.fromkeys(("queued", "sent", "failed", "dropped"), 0)
    for state, count in await fetch_all(
        conn,
        "SELECT state, COUNT(*) FROM notifications WHERE case_id = ? GROUP BY state",
        (case_id,),
    ):
        notified[state] = count
    crime_reference = None
    if case["data_key"] is not None:
        cipher = await relay.cipher(conn, case_id)
        crime_reference = cipher.open("cases", case_id, "crime_reference", case["crime_reference"])
    return {
        "id": case_id,
        "status": case["status"],
        "modality": case["modality"],
        "risk_level": case["risk_level"],
        "crime_reference": crime_reference,
        "gates": held,
        "missing": [gate for gate in gates.GATES if not held[gate]],
        "participants": [
            {
                "id": p["id"],
                "role": p["role"],
                "alias": p["alias"],
                "supports": p["supports"],
                "activated": p["activated_at"] is not None,
                "consent": None if p["consent"] is None else bool(p["consent"]),
                "supporter_read": bool(p["supporter_read"]),
                "withdrawn": p["withdrawn_at"] is not None,
            }
            for p in people
        ],
        "assigned": [row[0] for row in assigned],
        "outcomes": json.loads(case["outcomes"]) if case["outcomes"] else None,
        "notifications": notified,
        "created_at": case["created_at"],
    }


async def assign(relay: Relay, actor: Actor, case_id: str, username: str) -> None:
    staff = specialist_only(actor)
    async with relay.db.write() as conn:
        await case_row(conn, staff, case_id)
        rows = await fetch_all(
            conn, "SELECT id FROM practitioners WHERE username = ? AND active = 1", (username,)
        )
        if not rows:
            raise Invalid(f"There is no practitioner with the username {username!r}.")
        await conn.execute(
            "INSERT OR IGNORE INTO case_assignments VALUES (?, ?, ?)",
            (case_id, rows[0][0], stamp(relay.now())),
        )
        await relay.audit.append(
            conn,
            at=relay.now(),
            actor=staff.label,
            action="case.assigned",
            case_id=case_id,
            subject=case_id,
            practitioner=username,
        )


def ensure_open(case: Row) -> None:
    if case["status"] in TERMINAL:
        raise Conflict(f"The case is {case['status']}; nothing more can be recorded.")


async def set_status(
    relay: Relay,
    conn: Connection,
    actor_label: str,
    case_id: str,
    status: str,
    **details: object,
) -> None:
    now = relay.now()
    ended = stamp(now) if status in TERMINAL else None
    await conn.execute(
        "UPDATE cases SET status = ?, updated_at = ?, ended_at = COALESCE(?, ended_at) "
        "WHERE id = ?",
        (status, stamp(now), ended, case_id),
    )
    await relay.audit.append(
        conn,
        at=now,
        actor=actor_label,
        action=f"case.{status}",
        case_id=case_id,
        subject=case_id,
        **details,
    )


async def activate(relay: Relay, actor: Actor, case_id: str) -> str:
    staff = staff_only(actor)
    async with relay.db.write() as conn:
        case = await case_row(conn, staff, case_id)
        if case["status"] not in ("intake", "paused"):
            raise Conflict(f"A case that is {case['status']} cannot be activated.")
        held = await gates.gates_held(conn, case)
        missing = [gate for gate in gates.GATES if not held[gate]]
        if missing:
            raise Conflict("The case cannot start until every gate is met.", missing=missing)
        await set_status(relay, conn, staff.label, case_id, "active")
        await delivery.release(relay, conn, case_id)
    return "active"


async def pause(relay: Relay, actor: Actor, case_id: str) -> str:
    staff = staff_only(actor)
    async with relay.db.write() as conn:
        case = await case_row(conn, staff, case_id)
        if case["status"] != "active":
            raise Conflict(f"Only an active case can be paused; this one is {case['status']}.")
        await set_status(relay, conn, staff.label, case_id, "paused")
    return "paused"


async def close(
    relay: Relay,
    actor: Actor,
    case_id: str,
    outcomes: Sequence[str] = (),
    agreement_terms: str | None = None,
) -> str:
    """Close the case, recording its outcome(s) for the hub's reporting."""
    staff = staff_only(actor)
    if any(outcome not in OUTCOMES for outcome in outcomes):
        raise Invalid(f"Outcomes must be among: {', '.join(OUTCOMES)}.", field="outcomes")
    if agreement_terms and "agreement" not in outcomes:
        raise Invalid("Agreement terms go with the outcome 'agreement'.", field="agreement_terms")
    if "agreement" in outcomes and not (agreement_terms or "").strip():
        raise Invalid("Record the terms of the agreement.", field="agreement_terms")
    if "no_outcome" in outcomes and len(outcomes) > 1:
        raise Invalid("'no_outcome' cannot be combined with other outcomes.", field="outcomes")
    async with relay.db.write() as conn:
        case = await case_row(conn, staff, case_id)
        ensure_open(case)
        await delivery.halt_case(relay, conn, case_id)
        terms = None
        if agreement_terms:
            cipher = await relay.cipher(conn, case_id)
            terms = cipher.seal("cases", case_id, "agreement_terms", agreement_terms)
        await conn.execute(
            "UPDATE cases SET outcomes = ?, agreement_terms = ? WHERE id = ?",
            (json.dumps(sorted(set(outcomes))) if outcomes else None, terms, case_id),
        )
        await set_status(
            relay, conn, staff.label, case_id, "closed", outcomes=sorted(set(outcomes))
        )
    return "closed"


async def withdraw(relay: Relay, actor: Actor, case_id: str, participant_id: str) -> str:
    """A principal leaves the process: every undelivered item halts for good."""
    async with relay.db.write() as conn:
        case = await case_row(conn, actor, case_id)
        person = await gates.participant(conn, case_id, participant_id)
        if person["role"] == "supporter":
            raise Conflict("A supporter cannot withdraw; the person they support can.")
        if isinstance(actor, Party) and actor.id != participant_id:
            raise Forbidden("Only the person themself, or a practitioner, can withdraw them.")
        ensure_open(case)
        now = relay.now()
        await delivery.halt_case(relay, conn, case_id)
        await conn.execute(
            "UPDATE participants SET withdrawn_at = ? WHERE id = ?", (stamp(now), participant_id)
        )
        await conn.execute(
            "UPDATE cases SET withdrawn_by = ? WHERE id = ?", (participant_id, case_id)
        )
        await set_status(relay, conn, actor.label, case_id, "withdrawn", participant=participant_id)
    return "withdrawn"
