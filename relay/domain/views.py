"""What each side may see of an item: the practitioner's, the author's and the recipient's views.

Party-facing views are built from explicit allow-lists of fields. None of them can reach the
vault: contact details are never loaded here.
"""

from __future__ import annotations

from datetime import datetime

from relay.audit import AuditLog
from relay.domain.access import item_for_staff, may_see_case, staff_only
from relay.domain.actors import Actor, Staff
from relay.domain.attachments import add_listings
from relay.domain.errors import Invalid
from relay.domain.hub import Relay
from relay.domain.states import AWAITING_DECISION, SENT_BACK, ItemState, RecipientState
from relay.storage import items
from relay.storage import queue as stored_queue
from relay.storage.inbox import Received, Sent
from relay.storage.items import Content, Item
from relay.storage.tx import Tx

AWAITING = AWAITING_DECISION  # the states in which an item awaits a decision
QUEUE_STATES = frozenset(ItemState)  # the queue lists items in any state, by name


def author_state(item: Item, receipts: bool) -> str:
    """The state as the author may know it (DESIGN: never why something was not delivered)."""
    state = item.state
    if state in AWAITING:
        return "pending"
    if state == ItemState.HALTED:
        return "not_delivered"
    if state == ItemState.DELIVERED:
        if item.recipient_state == RecipientState.DECLINED:
            return "not_delivered"
        if item.recipient_state == RecipientState.OPENED and receipts:
            return "opened"
    return state


def sent_view(sent: Sent, receipts: bool) -> dict[str, object]:
    item = sent.item
    view: dict[str, object] = {
        "id": item.id,
        "kind": item.kind,
        "state": author_state(item, receipts),
        "text": sent.original,
    }
    if item.state == ItemState.DELIVERED and sent.delivered != sent.original:
        view["delivered_text"] = sent.delivered
    if item.state in SENT_BACK and sent.note is not None:
        view["note"] = sent.note
    return view


def received_view(received: Received, from_alias: str, relay: Relay) -> dict[str, object]:
    item = received.item
    assert item.delivered_at is not None
    delivered_at = datetime.fromisoformat(item.delivered_at)
    view: dict[str, object] = {
        "id": item.id,
        "kind": item.kind,
        "state": item.recipient_state,
        "from_alias": from_alias,
        # A date, not a time: the minute of delivery would tell nothing the recipient needs.
        "delivered_on": delivered_at.astimezone(relay.config.timezone).date().isoformat(),
        "help_requested": item.help_requested_at is not None,
    }
    if received.content_note is not None:
        view["content_note"] = received.content_note
    if item.recipient_state == RecipientState.OPENED:
        view["text"] = received.text
    return view


def staff_item_view(item: Item, body: str, findings: list[dict[str, object]]) -> dict[str, object]:
    """What a practitioner sees of an item in the queue."""
    return {
        "id": item.id,
        "case_id": item.case_id,
        "kind": item.kind,
        "state": item.state,
        "version": item.version,
        "text": body,
        "findings": findings,
        "waiting_since": item.waiting_since,
        "claimed_by": item.claimed_by,
        "claimed_until": item.claimed_until,
    }


def staff_detail_view(item: Item, content: Content) -> dict[str, object]:
    """What a practitioner sees of an item on its own: all of it."""
    view = staff_item_view(item, content.body, content.findings)
    view.update(
        author_role=item.author_role,
        author_id=item.author_id,
        recipient_id=item.recipient_id,
        entered_by=item.entered_by,
        original=content.original,
        dismissed=content.dismissed,
        note=content.note,
        content_note=content.content_note,
        recipient_state=item.recipient_state,
        created_at=item.created_at,
        delivered_at=item.delivered_at,
    )
    return view


async def item_detail(relay: Relay, actor: Actor, item_id: str) -> dict[str, object]:
    """The practitioner's full view of an item; reading content is audited (DPA 2018 s.62)."""
    staff = staff_only(actor)

    def work(tx: Tx) -> dict[str, object]:
        item = item_for_staff(tx, staff, item_id)
        view = staff_detail_view(item, items.content(tx, item))
        relay.audit.append(
            tx,
            at=relay.now(),
            actor=staff.label,
            action="item.read",
            case_id=item.case_id,
            subject=item_id,
            version=item.version,
        )
        add_listings(tx, [view])
        history = AuditLog.events(tx, subject=item_id)
        view["history"] = [
            {"at": e.at, "actor": e.actor, "action": e.action, "details": e.details}
            for e in history
        ]
        return view

    return await relay.store.write(work)


async def queue(
    relay: Relay, actor: Actor, *, case_id: str | None, state: str | None, limit: int = 50
) -> list[dict[str, object]]:
    """Items awaiting a decision (or in `state`), oldest first, in the caller's cases."""
    staff = staff_only(actor)
    if state is not None and state not in QUEUE_STATES:
        raise Invalid(f"state must be one of {', '.join(sorted(QUEUE_STATES))}.", field="state")
    # Read in the write that audits it: the audit names exactly the items whose text was read.
    return await relay.store.write(lambda tx: _queue(relay, tx, staff, case_id, state, limit))


def _queue(
    relay: Relay, tx: Tx, staff: Staff, case_id: str | None, state: str | None, limit: int
) -> list[dict[str, object]]:
    if case_id is not None and not may_see_case(tx, staff, case_id):
        return []
    found = stored_queue.page(
        tx,
        state=state,
        case_id=case_id,
        assigned_to=None if staff.is_specialist else staff.id,
        limit=limit,
    )
    result = [staff_item_view(q.item, q.body, q.findings) for q in found]
    add_listings(tx, result)
    if found:
        relay.audit.append(
            tx,
            at=relay.now(),
            actor=staff.label,
            action="queue.read",
            items=[q.item.id for q in found],
        )
    return result
