"""What a practitioner's workspace lists: their cases, the queue and who asked for help.

Only metadata (ids, states, times, aliases) is read here: no item content is opened, so these
lists need no read audit. Which cases a practitioner may see is decided by `cases.list_cases`
and `access.case_for`, exactly as for the JSON API.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

from relay.audit import AuditEvent, AuditLog
from relay.domain.access import case_for, staff_only
from relay.domain.actors import Actor
from relay.domain.attachments import writable_item
from relay.domain.cases import CaseSummary, list_cases
from relay.domain.errors import DomainError
from relay.domain.hub import Relay
from relay.domain.states import ItemState
from relay.storage import queue as stored
from relay.storage.queue import AwaitingLine, CaseItem, HelpRequest, Practitioner
from relay.storage.tx import Tx

__all__ = [
    "CaseItem",
    "CaseLine",
    "HelpRequest",
    "Overview",
    "Practitioner",
    "QueueEntry",
    "case_audit",
    "case_items",
    "may_attach",
    "overview",
    "practitioners",
]


@dataclass(frozen=True, slots=True)
class QueueEntry:
    id: str
    case_id: str
    kind: str
    state: str
    version: int
    author_role: str
    waiting_since: str
    claimed_by: str | None = None  # the holder's display name, while the claim lasts
    claimed_until: str | None = None


@dataclass(frozen=True, slots=True)
class CaseLine:
    case: CaseSummary
    aliases: list[str]
    awaiting: int


@dataclass(frozen=True, slots=True)
class Overview:
    cases: list[CaseLine]
    queue: list[QueueEntry]  # awaiting a decision, oldest first
    help_requests: list[HelpRequest] = field(default_factory=list)

    @property
    def countersign(self) -> list[QueueEntry]:
        return [entry for entry in self.queue if entry.state == ItemState.COUNTERSIGN]


@dataclass(frozen=True, slots=True)
class _Lists:
    queue: list[AwaitingLine]
    counts: dict[str, int]
    aliases: dict[str, list[str]]
    help_requests: list[HelpRequest]


def _lists(tx: Tx, ids: Sequence[str], limit: int) -> _Lists:
    return _Lists(
        queue=stored.awaiting(tx, ids, limit),
        counts=stored.awaiting_counts(tx, ids),
        aliases=stored.aliases(tx, ids),
        help_requests=stored.help_requests(tx, ids, limit),
    )


async def overview(relay: Relay, actor: Actor, limit: int = 100) -> Overview:
    staff = staff_only(actor)
    cases = await list_cases(relay, staff)
    ids = [case.id for case in cases]
    found = await relay.store.read(lambda tx: _lists(tx, ids, limit))
    return Overview(
        cases=[
            CaseLine(case, found.aliases.get(case.id, []), found.counts.get(case.id, 0))
            for case in cases
        ],
        queue=[_queue_entry(line, relay.now()) for line in found.queue],
        help_requests=found.help_requests,
    )


def _queue_entry(line: AwaitingLine, now: datetime) -> QueueEntry:
    holder, until = line.claimed_by, line.claimed_until
    if holder is None or until is None or datetime.fromisoformat(until) <= now:
        holder = until = None  # an expired claim holds nothing (as decisions.claim decides)
    return QueueEntry(
        line.id,
        line.case_id,
        line.kind,
        line.state,
        line.version,
        line.author_role,
        line.waiting_since,
        holder,
        until,
    )


async def practitioners(relay: Relay, actor: Actor) -> list[Practitioner]:
    """The hub's active practitioners: who holds a claim, who may attend a meeting."""
    staff_only(actor)
    return await relay.store.read(stored.practitioners)


async def case_items(relay: Relay, actor: Actor, case_id: str) -> list[CaseItem]:
    """Every item of a case the practitioner may see, in writing order (no content)."""
    staff = staff_only(actor)

    def read(tx: Tx) -> list[CaseItem]:
        case_for(tx, staff, case_id)
        return stored.case_items(tx, case_id)

    return await relay.store.read(read)


async def case_audit(relay: Relay, actor: Actor, case_id: str) -> list[AuditEvent]:
    """The case's audit trail (events carry ids and states, never content)."""
    staff = staff_only(actor)

    def read(tx: Tx) -> list[AuditEvent]:
        case_for(tx, staff, case_id)
        return AuditLog.events(tx, case_id=case_id)

    return await relay.store.read(read)


async def may_attach(relay: Relay, actor: Actor, item_id: str) -> bool:
    """Whether `actor` may add or remove files on the item now, so that a page offers the
    form only when the domain would accept it. The rule itself is the attachments module's."""
    try:
        await relay.store.read(lambda tx: writable_item(tx, actor, item_id))
    except DomainError:
        return False
    return True
