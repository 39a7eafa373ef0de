"""The one way a case's status, an item's state or a recipient's choice changes.

The states and their transition tables are in `relay.domain.states` (a leaf, so storage can
name them); every move is checked here against its table, and a move the table does not allow
answers 409 with a message that says what is wrong. `set_status` also records and audits a
case's move; it is shared by the lifecycle (`cases`) and the gates (`gates`: an unsafe
assessment pauses a case), kept apart from both so neither imports the other.
"""

from __future__ import annotations

from relay.domain.errors import Conflict
from relay.domain.hub import Relay, stamp
from relay.domain.states import (
    CASE_TRANSITIONS,
    ITEM_TRANSITIONS,
    RECIPIENT_TRANSITIONS,
    TERMINAL,
    CaseStatus,
    ItemState,
    RecipientState,
)
from relay.storage import cases
from relay.storage.cases import Case
from relay.storage.tx import Tx

__all__ = ["case_move", "ensure_open", "item_move", "recipient_move", "set_status"]

# Why a move to each target is refused; `{current}` is the state it was asked to move from.
_CASE_REFUSALS = {
    CaseStatus.INTAKE: "A case that is {current} cannot go back to intake.",
    CaseStatus.ACTIVE: "A case that is {current} cannot be activated.",
    CaseStatus.PAUSED: "Only an active case can be paused; this one is {current}.",
    CaseStatus.CLOSED: "Only an active or paused case can be closed; this one is {current}.",
    CaseStatus.WITHDRAWN: "A case that is {current} cannot be withdrawn from.",
}
_ENDED = "The case is {current}; nothing more can be recorded."
_ITEM_REFUSALS = {
    # Only the author revises, and only a returned letter.
    ItemState.PENDING: "Only a letter returned to you for changes can be revised.",
    ItemState.COUNTERSIGN: "An item that is {current} cannot be approved.",
    ItemState.APPROVED: "An item that is {current} cannot be approved.",
    ItemState.DELIVERED: "An item that is {current} cannot be delivered.",
    ItemState.RETURNED: "An item that is {current} cannot be returned.",
    ItemState.REJECTED: "An item that is {current} cannot be rejected.",
    ItemState.HALTED: "An item that is {current} cannot be halted.",
}
# Why the recipient's item cannot move, by where it is (a repeat of the same choice changes
# nothing: the caller does not ask for that move).
_RECIPIENT_REFUSALS = {
    None: "This letter has not been delivered.",
    RecipientState.WAITING: "This letter is already waiting for you.",
    RecipientState.OPENED: "This letter has already been opened.",
    RecipientState.DECLINED: "You chose not to receive this letter.",
}


def case_move(current: str, target: CaseStatus) -> CaseStatus:
    """`target`, if a case that is `current` may move to it; Conflict otherwise."""
    if target in CASE_TRANSITIONS[CaseStatus(current)]:
        return target
    # Ending a case that has already ended says so, as every other record on it does.
    refusal = _ENDED if current in TERMINAL and target in TERMINAL else _CASE_REFUSALS[target]
    raise Conflict(refusal.format(current=current))


def item_move(current: str, target: ItemState) -> ItemState:
    """`target`, if an item that is `current` may move to it; Conflict otherwise."""
    if target in ITEM_TRANSITIONS[ItemState(current)]:
        return target
    raise Conflict(_ITEM_REFUSALS[target].format(current=current))


def recipient_move(current: str | None, target: RecipientState) -> RecipientState:
    """`target`, if a recipient whose item is `current` may move it there; Conflict otherwise
    (an item not delivered has no recipient state and cannot move)."""
    state = None if current is None else RecipientState(current)
    if state is not None and target in RECIPIENT_TRANSITIONS[state]:
        return target
    raise Conflict(_RECIPIENT_REFUSALS[state])


def ensure_open(case: Case) -> None:
    if case.ended:
        raise Conflict(_ENDED.format(current=case.status))


def set_status(
    relay: Relay, tx: Tx, actor_label: str, case: Case, status: CaseStatus, **details: object
) -> CaseStatus:
    """Move the case to `status` if its table allows (an ending records when) and audit it, in
    the caller's write; Conflict, changing nothing, if not."""
    case_move(case.status, status)
    now = relay.now()
    ended = stamp(now) if status in TERMINAL else None
    cases.set_status(tx, case.id, status, at=stamp(now), ended_at=ended)
    relay.audit.append(
        tx,
        at=now,
        actor=actor_label,
        action=f"case.{status}",
        case_id=case.id,
        subject=case.id,
        **details,
    )
    return status
