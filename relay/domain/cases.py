"""Cases: creation, assignment, the RJ gates and the lifecycle."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass

from relay.crypto import new_data_key
from relay.domain import delivery, gates
from relay.domain.access import case_for, specialist_only, staff_only
from relay.domain.actors import Actor, Party
from relay.domain.errors import Conflict, Forbidden, Invalid
from relay.domain.hub import Relay, new_id, stamp
from relay.domain.lifecycle import case_move, ensure_open, set_status
from relay.domain.states import CaseStatus
from relay.storage import cases, participants, practitioners
from relay.storage.cases import Case
from relay.storage.participants import Participant
from relay.storage.tx import Tx

__all__ = [
    "OUTCOMES",
    "CaseSummary",
    "activate",
    "assign",
    "case_detail",
    "close",
    "create_case",
    "ensure_open",
    "list_cases",
    "pause",
    "set_status",
    "withdraw",
]

OUTCOMES = ("questions_answered", "apology_given", "agreement", "no_outcome")


@dataclass(frozen=True, slots=True)
class CaseSummary:
    id: str
    status: str
    modality: str
    risk_level: str

    @classmethod
    def of(cls, case: Case) -> CaseSummary:
        return cls(case.id, case.status, case.modality, case.risk_level)


async def create_case(
    relay: Relay, actor: Actor, *, crime_reference: str, modality: str, risk_level: str
) -> CaseSummary:
    staff = staff_only(actor)
    case_id = new_id("cas")
    now = relay.now()
    wrapped = relay.keys.wrap(case_id, new_data_key())

    def work(tx: Tx) -> None:
        cases.insert(
            tx,
            case_id=case_id,
            status=CaseStatus.INTAKE,
            modality=modality,
            risk_level=risk_level,
            data_key=wrapped,
            created_by=staff.id,
            at=stamp(now),
            crime_reference=crime_reference,
        )
        if not staff.is_specialist:  # a volunteer who opens a case works on it
            cases.assign(tx, case_id, staff.id, stamp(now))
        relay.audit.append(
            tx,
            at=now,
            actor=staff.label,
            action="case.created",
            case_id=case_id,
            subject=case_id,
            modality=modality,
            risk_level=risk_level,
        )

    await relay.store.write(work)
    return CaseSummary(case_id, CaseStatus.INTAKE, modality, risk_level)


async def list_cases(relay: Relay, actor: Actor) -> list[CaseSummary]:
    staff = staff_only(actor)

    def work(tx: Tx) -> list[Case]:
        if staff.is_specialist:
            return cases.every(tx)
        return cases.assigned_to(tx, staff.id)

    return [CaseSummary.of(case) for case in await relay.store.read(work)]


def _person(p: Participant) -> dict[str, object]:
    """A participant as the case detail shows them: no contact details, no secrets."""
    return {
        "id": p.id,
        "role": p.role,
        "alias": p.alias,
        "supports": p.supports,
        "activated": p.activated_at is not None,
        "consent": None if p.consent is None else bool(p.consent),
        "supporter_read": bool(p.supporter_read),
        "withdrawn": p.withdrawn_at is not None,
    }


def _detail(tx: Tx, actor: Actor, case_id: str) -> dict[str, object]:
    case = case_for(tx, actor, case_id)
    held = gates.gates_held(tx, case)
    # Practitioners see whether notifications went out (and which gave up), never to whom.
    notified = dict.fromkeys(("queued", "sent", "failed", "dropped"), 0)
    notified.update(cases.notification_counts(tx, case_id))
    return {
        "id": case_id,
        "status": case.status,
        "modality": case.modality,
        "risk_level": case.risk_level,
        "crime_reference": cases.crime_reference(tx, case_id),
        "gates": held,
        "missing": [gate for gate in gates.GATES if not held[gate]],
        "participants": [_person(p) for p in participants.of_case(tx, case_id)],
        "assigned": cases.assigned_usernames(tx, case_id),
        "outcomes": json.loads(case.outcomes) if case.outcomes else None,
        "notifications": notified,
        "created_at": case.created_at,
    }


async def case_detail(relay: Relay, actor: Actor, case_id: str) -> dict[str, object]:
    staff_only(actor)
    return await relay.store.read(lambda tx: _detail(tx, actor, case_id))


async def assign(relay: Relay, actor: Actor, case_id: str, username: str) -> None:
    staff = specialist_only(actor)

    def work(tx: Tx) -> None:
        case_for(tx, staff, case_id)
        practitioner_id = practitioners.active_id(tx, username)
        if practitioner_id is None:
            raise Invalid(f"There is no practitioner with the username {username!r}.")
        cases.assign(tx, case_id, practitioner_id, stamp(relay.now()))
        relay.audit.append(
            tx,
            at=relay.now(),
            actor=staff.label,
            action="case.assigned",
            case_id=case_id,
            subject=case_id,
            practitioner=username,
        )

    await relay.store.write(work)


async def activate(relay: Relay, actor: Actor, case_id: str) -> str:
    staff = staff_only(actor)

    def work(tx: Tx) -> None:
        case = case_for(tx, staff, case_id)
        case_move(case.status, CaseStatus.ACTIVE)  # a case that cannot start says so first
        held = gates.gates_held(tx, case)
        missing = [gate for gate in gates.GATES if not held[gate]]
        if missing:
            raise Conflict("The case cannot start until every gate is met.", missing=missing)
        set_status(relay, tx, staff.label, case, CaseStatus.ACTIVE)
        delivery.release(relay, tx, case_id)

    await relay.store.write(work)
    return CaseStatus.ACTIVE


async def pause(relay: Relay, actor: Actor, case_id: str) -> str:
    staff = staff_only(actor)

    def work(tx: Tx) -> None:
        set_status(relay, tx, staff.label, case_for(tx, staff, case_id), CaseStatus.PAUSED)

    await relay.store.write(work)
    return CaseStatus.PAUSED


def _check_outcomes(outcomes: Sequence[str], agreement_terms: str | None) -> None:
    if any(outcome not in OUTCOMES for outcome in outcomes):
        raise Invalid(f"Outcomes must be among: {', '.join(OUTCOMES)}.", field="outcomes")
    if agreement_terms and "agreement" not in outcomes:
        raise Invalid("Agreement terms go with the outcome 'agreement'.", field="agreement_terms")
    if "agreement" in outcomes and not (agreement_terms or "").strip():
        raise Invalid("Record the terms of the agreement.", field="agreement_terms")
    if "no_outcome" in outcomes and len(outcomes) > 1:
        raise Invalid("'no_outcome' cannot be combined with other outcomes.", field="outcomes")


async def close(
    relay: Relay,
    actor: Actor,
    case_id: str,
    outcomes: Sequence[str] = (),
    agreement_terms: str | None = None,
) -> str:
    """Close the case, recording its outcome(s) for the hub's reporting."""
    staff = staff_only(actor)
    _check_outcomes(outcomes, agreement_terms)
    chosen = sorted(set(outcomes))

    def work(tx: Tx) -> None:
        case = case_for(tx, staff, case_id)
        set_status(relay, tx, staff.label, case, CaseStatus.CLOSED, outcomes=chosen)
        delivery.halt_case(relay, tx, case_id)
        cases.record_outcomes(tx, case_id, chosen or None, agreement_terms or None)

    await relay.store.write(work)
    return CaseStatus.CLOSED


async def withdraw(relay: Relay, actor: Actor, case_id: str, participant_id: str) -> str:
    """A principal leaves the process: every undelivered item halts for good."""

    def work(tx: Tx) -> None:
        case = case_for(tx, actor, case_id)
        person = gates.participant(tx, case_id, participant_id)
        if person.role == "supporter":
            raise Conflict("A supporter cannot withdraw; the person they support can.")
        if isinstance(actor, Party) and actor.id != participant_id:
            raise Forbidden("Only the person themself, or a practitioner, can withdraw them.")
        set_status(relay, tx, actor.label, case, CaseStatus.WITHDRAWN, participant=participant_id)
        delivery.halt_case(relay, tx, case_id)
        participants.set_withdrawn(tx, participant_id, stamp(relay.now()))
        cases.set_withdrawn_by(tx, case_id, participant_id)

    await relay.store.write(work)
    return CaseStatus.WITHDRAWN
