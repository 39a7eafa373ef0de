"""A case's status: the one way it changes, and the check that it has not ended.

Shared by the lifecycle (`cases`) and the gates (`gates`: an unsafe assessment pauses a case);
kept apart from both so neither imports the other.
"""

from __future__ import annotations

from relay.domain.errors import Conflict
from relay.domain.hub import Relay, stamp
from relay.storage import cases
from relay.storage.cases import TERMINAL, Case
from relay.storage.tx import Tx


def ensure_open(case: Case) -> None:
    if case.ended:
        raise Conflict(f"The case is {case.status}; nothing more can be recorded.")


def set_status(
    relay: Relay, tx: Tx, actor_label: str, case_id: str, status: str, **details: object
) -> None:
    """Move the case to `status` (an ending records when) and audit it, in the caller's write."""
    now = relay.now()
    ended = stamp(now) if status in TERMINAL else None
    cases.set_status(tx, case_id, status, at=stamp(now), ended_at=ended)
    relay.audit.append(
        tx,
        at=now,
        actor=actor_label,
        action=f"case.{status}",
        case_id=case_id,
        subject=case_id,
        **details,
    )
