"""The practitioner's daily workflow: saved reasons, the thread view, outcomes and reporting."""

from __future__ import annotations

import statistics
from collections.abc import Sequence

from relay.audit import AuditLog
from relay.domain.access import case_for, specialist_only, staff_only
from relay.domain.actors import Actor, Staff
from relay.domain.cases import OUTCOMES
from relay.domain.hub import Relay, new_id, stamp
from relay.domain.states import ItemState
from relay.storage import participants
from relay.storage import workflow as stored
from relay.storage.items import Content, Item
from relay.storage.tx import Tx
from relay.storage.workflow import NewReason

__all__ = ["OUTCOMES", "replace_saved_reasons", "report", "saved_reasons", "thread"]


def _reasons(tx: Tx) -> list[dict[str, str]]:
    return [{"id": r.id, "purpose": r.purpose, "text": r.text} for r in stored.saved_reasons(tx)]


async def saved_reasons(relay: Relay, actor: Actor) -> list[dict[str, str]]:
    staff_only(actor)
    return await relay.store.read(_reasons)


async def replace_saved_reasons(
    relay: Relay, actor: Actor, reasons: Sequence[tuple[str, str]]
) -> list[dict[str, str]]:
    """The specialist replaces the whole list of (purpose, text)."""
    staff = specialist_only(actor)

    def work(tx: Tx) -> None:
        stored.replace_saved_reasons(
            tx,
            [
                NewReason(new_id("rsn"), purpose, text, position)
                for position, (purpose, text) in enumerate(reasons)
            ],
            updated_by=staff.id,
            updated_at=stamp(relay.now()),
        )
        relay.audit.append(
            tx, at=relay.now(), actor=staff.label, action="reasons.replaced", count=len(reasons)
        )

    await relay.store.write(work)
    return await saved_reasons(relay, staff)


def _entry(
    tx: Tx, item: Item, content: Content, aliases: dict[str, tuple[str, str]]
) -> dict[str, object]:
    events = AuditLog.events(tx, subject=item.id)
    return {
        "id": item.id,
        "kind": item.kind,
        "from": {"alias": aliases[item.author_id][0], "role": item.author_role},
        "to": {
            "alias": aliases[item.recipient_id][0],
            "role": aliases[item.recipient_id][1],
        },
        "state": item.state,
        "recipient_state": item.recipient_state,
        "version": item.version,
        "written_at": item.created_at,
        "original": content.original,
        "delivered_text": content.body if item.state == ItemState.DELIVERED else None,
        "note": content.note,
        "content_note": content.content_note,
        "events": [
            {"at": e.at, "actor": e.actor, "action": e.action, "details": e.details} for e in events
        ],
    }


def _thread(relay: Relay, tx: Tx, staff: Staff, case_id: str) -> dict[str, object]:
    case_for(tx, staff, case_id)
    found = stored.thread(tx, case_id)  # 409 once the case is shredded
    aliases = {p.id: (p.alias, p.role) for p in participants.of_case(tx, case_id)}
    entries = [_entry(tx, item, content, aliases) for item, content in found]
    if found:
        relay.audit.append(
            tx,
            at=relay.now(),
            actor=staff.label,
            action="thread.read",
            case_id=case_id,
            subject=case_id,
            items=len(found),
        )
    return {"case_id": case_id, "items": entries}


async def thread(relay: Relay, actor: Actor, case_id: str) -> dict[str, object]:
    """Both directions of a case in order: originals, delivered versions, notes, decisions."""
    staff = staff_only(actor)
    return await relay.store.write(lambda tx: _thread(relay, tx, staff, case_id))


def _report(tx: Tx) -> dict[str, object]:
    outcomes = dict.fromkeys(OUTCOMES, 0)
    for recorded in stored.recorded_outcomes(tx):
        for outcome in recorded:
            outcomes[outcome] = outcomes.get(outcome, 0) + 1
    delivered = stored.delivered_count(tx)
    median = None
    if delivered:
        # The middle one or two of the hours from writing to delivery, in order.
        middle = stored.hours_to_delivery(tx, limit=2 - delivered % 2, offset=(delivered - 1) // 2)
        median = round(statistics.fmean(middle), 2)
    return {
        "cases_by_status": stored.cases_by_status(tx),
        "outcomes": outcomes,
        "delivered_items": delivered,
        "median_hours_to_delivery": median,
    }


async def report(relay: Relay, actor: Actor) -> dict[str, object]:
    """Counts by outcome and the median time from writing to delivery, across cases."""
    specialist_only(actor)
    # Whole-store reads, aggregated by the database, in one snapshot on a reader thread.
    return await relay.store.read(_report)
