"""Every state a case or an item can be in, and which state may follow which (DESIGN.md).

Pure data: this module imports nothing from relay, so storage can name the states too (it
stores what the domain decided; `relay.domain.lifecycle` makes every move through these
tables). The values are the strings stored in the database, and a `StrEnum` compares equal to
its value, so a state read back as a plain string matches its member.
"""

from __future__ import annotations

from enum import StrEnum


class CaseStatus(StrEnum):
    INTAKE = "intake"
    ACTIVE = "active"
    PAUSED = "paused"
    CLOSED = "closed"
    WITHDRAWN = "withdrawn"


class ItemState(StrEnum):
    """An item's moderation state (DESIGN contract). Declaration order matters to the queue:
    see relay/storage/queue.py."""

    PENDING = "pending"
    COUNTERSIGN = "countersign"
    APPROVED = "approved"
    DELIVERED = "delivered"
    RETURNED = "returned"
    REJECTED = "rejected"
    HALTED = "halted"


class RecipientState(StrEnum):
    """What the recipient did with a delivered item (NULL before delivery)."""

    WAITING = "waiting"
    OPENED = "opened"
    DECLINED = "declined"


# intake -> active <-> paused; active or paused -> closed; any non-terminal -> withdrawn.
# Also intake -> closed (as before this table): a referral that never goes ahead, perhaps with
# no principal yet to withdraw, must still end, so retention can destroy its crime reference.
CASE_TRANSITIONS: dict[CaseStatus, frozenset[CaseStatus]] = {
    CaseStatus.INTAKE: frozenset({CaseStatus.ACTIVE, CaseStatus.CLOSED, CaseStatus.WITHDRAWN}),
    CaseStatus.ACTIVE: frozenset({CaseStatus.PAUSED, CaseStatus.CLOSED, CaseStatus.WITHDRAWN}),
    CaseStatus.PAUSED: frozenset({CaseStatus.ACTIVE, CaseStatus.CLOSED, CaseStatus.WITHDRAWN}),
    CaseStatus.CLOSED: frozenset(),
    CaseStatus.WITHDRAWN: frozenset(),
}

# pending -> approved -> delivered; pending -> countersign -> approved; pending -> returned ->
# (revised) pending; pending -> rejected; anything before delivered -> halted (the case ended).
# A specialist may also return or reject an item awaiting countersign instead of confirming it.
ITEM_TRANSITIONS: dict[ItemState, frozenset[ItemState]] = {
    ItemState.PENDING: frozenset(
        {
            ItemState.APPROVED,
            ItemState.COUNTERSIGN,
            ItemState.RETURNED,
            ItemState.REJECTED,
            ItemState.HALTED,
        }
    ),
    ItemState.COUNTERSIGN: frozenset(
        {ItemState.APPROVED, ItemState.RETURNED, ItemState.REJECTED, ItemState.HALTED}
    ),
    ItemState.APPROVED: frozenset({ItemState.DELIVERED, ItemState.HALTED}),
    ItemState.RETURNED: frozenset({ItemState.PENDING, ItemState.HALTED}),
    ItemState.DELIVERED: frozenset(),
    ItemState.REJECTED: frozenset(),
    ItemState.HALTED: frozenset(),
}

# Delivery makes an item `waiting`; the recipient then opens or declines it, once.
RECIPIENT_TRANSITIONS: dict[RecipientState, frozenset[RecipientState]] = {
    RecipientState.WAITING: frozenset({RecipientState.OPENED, RecipientState.DECLINED}),
    RecipientState.OPENED: frozenset(),
    RecipientState.DECLINED: frozenset(),
}

# -- named sets of states, used where a rule asks "is it one of these?" ----------------------
# A case has ended when nothing can follow (closed or withdrawn).
TERMINAL = frozenset(status for status, nexts in CASE_TRANSITIONS.items() if not nexts)
# What a participant sees as `on_hold` (never why).
ON_HOLD = frozenset({CaseStatus.INTAKE, CaseStatus.PAUSED})
# An item awaits a practitioner's decision (the default queue).
AWAITING_DECISION = frozenset({ItemState.PENDING, ItemState.COUNTERSIGN})
# Not yet delivered, so halted for good when the case ends.
UNDELIVERED = frozenset(
    state for state, nexts in ITEM_TRANSITIONS.items() if ItemState.HALTED in nexts
)
# Decided against as written: the author reads the practitioner's note.
SENT_BACK = frozenset({ItemState.RETURNED, ItemState.REJECTED})
