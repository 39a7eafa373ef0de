"""What a practitioner's workspace lists: their cases, the queue and who asked for help.

Only metadata (ids, states, times, aliases) is read here: no item content is opened, so these
lists need no read audit. Which cases a practitioner may see is decided by `cases.list_cases`
and `access.case_row`, exactly as for the JSON API.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from relay.audit import AuditEvent, AuditLog
from relay.domain.access import case_row, staff_only
from relay.domain.actors import Actor
from relay.domain.attachments import _writable_item
from relay.domain.cases import CaseSummary, list_cases
from relay.domain.errors import DomainError
from relay.domain.hub import Relay
from relay.domain.views import AWAITING
from relay.storage import fetch_all


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
class HelpRequest:
    id: str
    case_id: str
    requested_at: str


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
        return [entry for entry in self.queue if entry.state == "countersign"]


async def overview(relay: Relay, actor: Actor, limit: int = 100) -> Overview:
    staff = staff_only(actor)
    cases = await list_cases(relay, staff)
    ids = json.dumps([case.id for case in cases])
    conn = relay.db.reader
    queue_rows = await fetch_all(
        conn,
        "SELECT i.id, i.case_id, i.kind, i.state, i.version, i.author_role, i.waiting_since, "
        "p.display_name, i.claimed_until FROM items i INDEXED BY items_awaiting "
        "LEFT JOIN practitioners p ON p.id = i.claimed_by "
        # As views.queue: walk the partial index items_awaiting in page order instead of
        # sorting every awaiting item.
        "WHERE i.state IN ('pending', 'countersign') "
        "AND +i.case_id IN (SELECT value FROM json_each(?)) "
        "ORDER BY i.waiting_since, i.seq LIMIT ?",
        (ids, limit),
    )
    counts = await fetch_all(
        conn,
        "SELECT case_id, COUNT(*) FROM items WHERE state IN (?, ?) "
        "AND case_id IN (SELECT value FROM json_each(?)) GROUP BY case_id",
        (*AWAITING, ids),
    )
    aliases = await fetch_all(
        conn,
        "SELECT case_id, alias FROM participants WHERE case_id IN (SELECT value FROM json_each(?)) "
        "ORDER BY created_at",
        (ids,),
    )
    help_rows = await fetch_all(
        conn,
        # +case_id: walk items_help newest first rather than every item of each case.
        "SELECT id, case_id, help_requested_at FROM items WHERE help_requested_at IS NOT NULL "
        "AND +case_id IN (SELECT value FROM json_each(?)) ORDER BY help_requested_at DESC LIMIT ?",
        (ids, limit),
    )
    per_case = {row[0]: row[1] for row in counts}
    names: dict[str, list[str]] = {}
    for case_id, alias in aliases:
        names.setdefault(case_id, []).append(alias)
    return Overview(
        cases=[CaseLine(case, names.get(case.id, []), per_case.get(case.id, 0)) for case in cases],
        queue=[_queue_entry(tuple(row), relay.now()) for row in queue_rows],
        help_requests=[HelpRequest(*row) for row in help_rows],
    )


def _queue_entry(row: tuple[Any, ...], now: datetime) -> QueueEntry:
    item_id, case_id, kind, state, version, author_role, waiting_since, holder, until = row
    if holder is None or until is None or datetime.fromisoformat(until) <= now:
        holder = until = None  # an expired claim holds nothing (as items.claim decides)
    return QueueEntry(
        item_id, case_id, kind, state, version, author_role, waiting_since, holder, until
    )


@dataclass(frozen=True, slots=True)
class Practitioner:
    id: str
    username: str
    display_name: str
    role: str


async def practitioners(relay: Relay, actor: Actor) -> list[Practitioner]:
    """The hub's active practitioners: who holds a claim, who may attend a meeting."""
    staff_only(actor)
    rows = await fetch_all(
        relay.db.reader,
        "SELECT id, username, display_name, role FROM practitioners WHERE active = 1 "
        "ORDER BY display_name, username",
    )
    return [Practitioner(*row) for row in rows]


@dataclass(frozen=True, slots=True)
class CaseItem:
    id: str
    kind: str
    state: str
    version: int
    author_id: str
    author_role: str
    recipient_id: str
    recipient_state: str | None
    created_at: str
    waiting_since: str
    help_requested_at: str | None


async def case_items(relay: Relay, actor: Actor, case_id: str) -> list[CaseItem]:
    """Every item of a case the practitioner may see, in writing order (no content)."""
    staff = staff_only(actor)
    conn = relay.db.reader
    await case_row(conn, staff, case_id)
    rows = await fetch_all(
        conn,
        "SELECT id, kind, state, version, author_id, author_role, recipient_id, recipient_state, "
        "created_at, waiting_since, help_requested_at FROM items WHERE case_id = ? ORDER BY seq",
        (case_id,),
    )
    return [CaseItem(*row) for row in rows]


async def case_audit(relay: Relay, actor: Actor, case_id: str) -> list[AuditEvent]:
    """The case's audit trail (events carry ids and states, never content)."""
    staff = staff_only(actor)
    await case_row(relay.db.reader, staff, case_id)
    return await AuditLog.events(relay.db.reader, case_id=case_id)


async def may_attach(relay: Relay, actor: Actor, item_id: str) -> bool:
    """Whether `actor` may add or remove files on the item now, so that a page offers the
    form only when the domain would accept it. The rule itself is the attachments module's."""
    try:
        await _writable_item(relay.db.reader, actor, item_id)
    except DomainError:
        return False
    return True
