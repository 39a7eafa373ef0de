"""The RJ gates: consent, admission and each principal's risk assessment.

All are required to activate a case; an `unsafe` assessment pauses an active case at once.
"""

from __future__ import annotations

from relay.domain.access import case_for, staff_only
from relay.domain.actors import Actor
from relay.domain.errors import Conflict, NotFound
from relay.domain.hub import Relay, new_id, stamp
from relay.domain.lifecycle import ensure_open, set_status
from relay.domain.states import CaseStatus
from relay.storage import assessments, cases, participants
from relay.storage.cases import Case
from relay.storage.participants import Participant
from relay.storage.tx import Tx

GATES = (
    "consent_harmed",
    "consent_responsible",
    "admission",
    "assessment_harmed",
    "assessment_responsible",
)


def gates_held(tx: Tx, case: Case) -> dict[str, bool]:
    """Which activation gates hold for the case right now."""
    result = dict.fromkeys(GATES, False)
    result["admission"] = case.admission_at is not None
    for principal in assessments.standings(tx, case.id):
        result[f"consent_{principal.role}"] = principal.consent == 1
        result[f"assessment_{principal.role}"] = principal.outcome == "safe"
    return result


def participant(tx: Tx, case_id: str, participant_id: str) -> Participant:
    """A participant of this case; NotFound for anyone else."""
    person = participants.get(tx, participant_id)
    if person is None or person.case_id != case_id:
        raise NotFound()
    return person


def open_principal(
    tx: Tx, staff: Actor, case_id: str, participant_id: str, refusal: str
) -> tuple[Case, Participant]:
    """The open case and one of its two principals, for recording something about them."""
    case = case_for(tx, staff, case_id)
    ensure_open(case)
    person = participant(tx, case_id, participant_id)
    if person.role == "supporter":
        raise Conflict(refusal)
    return case, person


async def record_consent(
    relay: Relay, actor: Actor, case_id: str, participant_id: str, given: bool
) -> None:
    staff = staff_only(actor)

    def work(tx: Tx) -> None:
        case, _ = open_principal(
            tx,
            staff,
            case_id,
            participant_id,
            "Consent is recorded for the person harmed and the person responsible.",
        )
        if not given and case.status == CaseStatus.ACTIVE:
            raise Conflict("The case is active: to stop it, record a withdrawal instead.")
        now = relay.now()
        participants.set_consent(tx, participant_id, given, stamp(now))
        relay.audit.append(
            tx,
            at=now,
            actor=staff.label,
            action="gate.consent",
            case_id=case_id,
            subject=participant_id,
            given=given,
        )

    await relay.store.write(work)


async def record_assessment(
    relay: Relay, actor: Actor, case_id: str, participant_id: str, outcome: str, notes: str
) -> dict[str, object]:
    staff = staff_only(actor)

    def work(tx: Tx) -> dict[str, object]:
        case, _ = open_principal(
            tx,
            staff,
            case_id,
            participant_id,
            "Assessments are recorded for the two principal participants.",
        )
        assessment_id = new_id("asm")
        now = relay.now()
        assessments.insert(
            tx,
            assessment_id=assessment_id,
            case_id=case_id,
            participant_id=participant_id,
            outcome=outcome,
            notes=notes,
            assessed_by=staff.id,
            at=stamp(now),
        )
        relay.audit.append(
            tx,
            at=now,
            actor=staff.label,
            action="gate.assessment",
            case_id=case_id,
            subject=participant_id,
            outcome=outcome,
        )
        status = case.status
        if outcome == "unsafe" and status == CaseStatus.ACTIVE:
            status = set_status(relay, tx, staff.label, case, CaseStatus.PAUSED, reason="unsafe")
        return {"id": assessment_id, "outcome": outcome, "case_status": status}

    return await relay.store.write(work)


async def record_admission(relay: Relay, actor: Actor, case_id: str, notes: str) -> None:
    staff = staff_only(actor)

    def work(tx: Tx) -> None:
        ensure_open(case_for(tx, staff, case_id))
        now = relay.now()
        cases.record_admission(tx, case_id, notes, stamp(now))
        relay.audit.append(
            tx,
            at=now,
            actor=staff.label,
            action="gate.admission",
            case_id=case_id,
            subject=case_id,
        )

    await relay.store.write(work)


async def set_supporter_access(
    relay: Relay, actor: Actor, case_id: str, principal_id: str, read: bool
) -> None:
    staff = staff_only(actor)

    def work(tx: Tx) -> None:
        case_for(tx, staff, case_id)
        if participant(tx, case_id, principal_id).role == "supporter":
            raise Conflict("Name the principal participant whose permission this records.")
        participants.set_supporter_read(tx, principal_id, read)
        relay.audit.append(
            tx,
            at=relay.now(),
            actor=staff.label,
            action="case.supporter_access",
            case_id=case_id,
            subject=principal_id,
            read=read,
        )

    await relay.store.write(work)
