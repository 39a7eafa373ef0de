"""What each side may see of an item: the practitioner's, the author's and the recipient's views.

Party-facing views are built from explicit allow-lists of fields. None of them can reach the
vault: contact details are never loaded here.
"""

from __future__ import annotations

import json
from datetime import datetime

from relay.audit import AuditLog
from relay.crypto import CaseCipher
from relay.domain.access import item_for_staff, may_see_case, staff_only
from relay.domain.actors import Actor
from relay.domain.attachments import add_listings
from relay.domain.errors import Invalid
from relay.domain.hub import Relay
from relay.storage import Row, fetch_all

AWAITING = ("pending", "countersign")
QUEUE_STATES = frozenset(
    {"pending", "countersign", "approved", "delivered", "returned", "rejected", "halted"}
)


def _open(cipher: CaseCipher, item: Row, field: str) -> str | None:
    blob = item[field]
    return None if blob is None else cipher.open("items", item["id"], field, blob)


def author_state(item: Row, receipts: bool) -> str:
    """The state as the author may know it (DESIGN: never why something was not delivered)."""
    state = item["state"]
    if state in AWAITING:
        return "pending"
    if state == "halted":
        return "not_delivered"
    if state == "delivered":
        if item["recipient_state"] == "declined":
            return "not_delivered"
        if item["recipient_state"] == "opened" and receipts:
            return "opened"
    return state


def sent_view(cipher: CaseCipher, item: Row, receipts: bool) -> dict[str, object]:
    text = _open(cipher, item, "original")
    view: dict[str, object] = {
        "id": item["id"],
        "kind": item["kind"],
        "state": author_state(item, receipts),
        "text": text,
    }
    if item["state"] == "delivered":
        delivered = _open(cipher, item, "body")
        if delivered != text:
            view["delivered_text"] = delivered
    if item["state"] in ("returned", "rejected") and item["note"] is not None:
        view["note"] = _open(cipher, item, "note")
    return view


def received_view(
    cipher: CaseCipher, item: Row, from_alias: str, relay: Relay
) -> dict[str, object]:
    delivered_at = datetime.fromisoformat(item["delivered_at"])
    view: dict[str, object] = {
        "id": item["id"],
        "kind": item["kind"],
        "state": item["recipient_state"],
        "from_alias": from_alias,
        # A date, not a time: the minute of delivery would tell nothing the recipient needs.
        "delivered_on": delivered_at.astimezone(relay.config.timezone).date().isoformat(),
        "help_requested": item["help_requested_at"] is not None,
    }
    if item["content_note"] is not None:
        view["content_note"] = _open(cipher, item, "content_note")
    if item["recipient_state"] == "opened":
        view["text"] = _open(cipher, item, "body")
    return view


def staff_item_view(cipher: CaseCipher, item: Row, *, full: bool) -> dict[str, object]:
    text = _open(cipher, item, "body")
    view: dict[str, object] = {
        "id": item["id"],
        "case_id": item["case_id"],
        "kind": item["kind"],
        "state": item["state"],
        "version": item["version"],
        "text": text,
        "findings": json.loads(_open(cipher, item, "findings") or "[]"),
        "waiting_since": item["waiting_since"],
        "claimed_by": item["claimed_by"],
        "claimed_until": item["claimed_until"],
    }
    if full:
        view.update(
            author_role=item["author_role"],
            author_id=item["author_id"],
            recipient_id=item["recipient_id"],
            entered_by=item["entered_by"],
            original=_open(cipher, item, "original"),
            dismissed=json.loads(_open(cipher, item, "dismissed") or "{}"),
            note=_open(cipher, item, "note"),
            content_note=_open(cipher, item, "content_note"),
            recipient_state=item["recipient_state"],
            created_at=item["created_at"],
            delivered_at=item["delivered_at"],
        )
    return view


async def item_detail(relay: Relay, actor: Actor, item_id: str) -> dict[str, object]:
    """The practitioner's full view of an item; reading content is audited (DPA 2018 s.62)."""
    staff = staff_only(actor)
    async with relay.db.write() as conn:
        item = await item_for_staff(conn, staff, item_id)
        cipher = await relay.cipher(conn, item["case_id"])
        view = staff_item_view(cipher, item, full=True)
        await relay.audit.append(
            conn,
            at=relay.now(),
            actor=staff.label,
            action="item.read",
            case_id=item["case_id"],
            subject=item_id,
            version=item["version"],
        )
        await add_listings(conn, [view])
        history = await AuditLog.events(conn, subject=item_id)
    view["history"] = [
        {"at": e.at, "actor": e.actor, "action": e.action, "details": e.details} for e in history
    ]
    return view


async def queue(
    relay: Relay, actor: Actor, *, case_id: str | None, state: str | None, limit: int = 50
) -> list[dict[str, object]]:
    """Items awaiting a decision (or in `state`), oldest first, in the caller's cases."""
    staff = staff_only(actor)
    if state is not None and state not in QUEUE_STATES:
        raise Invalid(f"state must be one of {', '.join(sorted(QUEUE_STATES))}.", field="state")
    where = ["state IN ('pending', 'countersign')" if state is None else "state = ?"]
    args: list[object] = [] if state is None else [state]
    # For the default queue, walk the partial index `items_awaiting` in page order and filter
    # by case on the way: the unary `+` stops SQLite from choosing `items_by_case` instead,
    # which reads every item the case ever had and sorts them (a volunteer's first page took
    # 0.5 s at 1M stored items, 0.5 ms with this; see bench/README.md).
    case_column = "+case_id" if state is None else "case_id"
    # Named, because without statistics SQLite prefers items_by_state for the two states and
    # then sorts every awaiting item; items_by_state serves a single state in page order.
    table = "items INDEXED BY items_awaiting" if state is None else "items"
    if case_id is not None:
        where.append(f"{case_column} = ?")
        args.append(case_id)
    if not staff.is_specialist:
        assigned = "IN (SELECT case_id FROM case_assignments WHERE practitioner_id = ?)"
        where.append(f"{case_column} {assigned}")
        args.append(staff.id)
    async with relay.db.write() as conn:
        if case_id is not None and not await may_see_case(conn, staff, case_id):
            return []
        rows = await fetch_all(
            conn,
            f"SELECT * FROM {table} WHERE {' AND '.join(where)} "  # noqa: S608 - fixed fragments
            "ORDER BY waiting_since, seq LIMIT ?",
            (*args, limit),
        )
        result = []
        for row in rows:
            cipher = await relay.cipher(conn, row["case_id"])
            result.append(staff_item_view(cipher, row, full=False))
        await add_listings(conn, result)
        if rows:
            await relay.audit.append(
                conn,
                at=relay.now(),
                actor=staff.label,
                action="queue.read",
                items=[row["id"] for row in rows],
            )
    return result
