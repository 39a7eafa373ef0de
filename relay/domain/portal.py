"""The participant's side: their case as they may see it, their items, and their choices."""

from __future__ import annotations

import json

from relay.config import DeliveryWindow
from relay.domain import delivery
from relay.domain.access import (
    TERMINAL,
    item_for_party,
    party_only,
    principal_only,
    supporter_may_read,
)
from relay.domain.actors import Actor, Party
from relay.domain.attachments import add_listings
from relay.domain.errors import Conflict, Forbidden, NotFound
from relay.domain.hub import Relay, stamp
from relay.domain.views import received_view, sent_view
from relay.storage import Connection, Row, fetch_all


def visible_status(status: str, withdrawn_by: str | None, party: Party) -> str:
    """Participants see on_hold / active / ended — and `withdrawn` only if they withdrew."""
    if status in ("intake", "paused"):
        return "on_hold"
    if status == "active":
        return "active"
    if status == "withdrawn" and withdrawn_by == party.id:
        return "withdrawn"
    return "ended"


async def _case(conn: Connection, party: Party) -> Row:
    rows = await fetch_all(conn, "SELECT * FROM cases WHERE id = ?", (party.case_id,))
    if not rows:
        raise NotFound()
    return rows[0]


async def _aliases(conn: Connection, case_id: str) -> dict[str, Row]:
    rows = await fetch_all(
        conn,
        "SELECT id, role, alias, supports, read_receipts, window_json FROM participants "
        "WHERE case_id = ?",
        (case_id,),
    )
    return {row["id"]: row for row in rows}


async def me(relay: Relay, actor: Actor) -> dict[str, object]:
    party = party_only(actor)
    conn = relay.db.reader
    case = await _case(conn, party)
    people = await _aliases(conn, party.case_id)
    other = next(
        (
            p["alias"]
            for p in people.values()
            if p["role"] in ("harmed", "responsible") and p["id"] != party.principal_id
        ),
        None,
    )
    view: dict[str, object] = {
        "alias": people[party.id]["alias"],
        "role": party.role,
        "case": {
            "status": visible_status(case["status"], case["withdrawn_by"], party),
            "other_party_alias": other,
        },
    }
    if party.supports is not None:
        view["supports_alias"] = people[party.supports]["alias"]
        view["may_read_received"] = await supporter_may_read(conn, party)
    return view


async def my_items(relay: Relay, actor: Actor) -> dict[str, list[dict[str, object]]]:
    party = party_only(actor)
    conn = relay.db.reader
    cipher = await relay.cipher(conn, party.case_id)
    people = await _aliases(conn, party.case_id)
    if party.supports is None:
        sent_rows = await fetch_all(
            conn,
            "SELECT * FROM items WHERE case_id = ? AND sender_id = ? ORDER BY seq",
            (party.case_id, party.id),
        )
    else:
        sent_rows = await fetch_all(
            conn,
            "SELECT * FROM items WHERE case_id = ? AND author_id = ? ORDER BY seq",
            (party.case_id, party.id),
        )
    received_rows = []
    if await supporter_may_read(conn, party):
        received_rows = await fetch_all(
            conn,
            "SELECT * FROM items WHERE case_id = ? AND recipient_id = ? AND state = 'delivered' "
            "ORDER BY delivered_at, seq",
            (party.case_id, party.principal_id),
        )
    sent = [
        sent_view(cipher, row, bool(people[row["recipient_id"]]["read_receipts"]))
        for row in sent_rows
    ]
    received = [
        received_view(cipher, row, people[row["author_id"]]["alias"], relay)
        for row in received_rows
    ]
    await add_listings(conn, sent)
    await add_listings(conn, received, only_opened=True)
    return {"sent": sent, "received": received}


async def _received(relay: Relay, conn: Connection, party: Party, item_id: str) -> Row:
    item, relation = await item_for_party(conn, party, item_id)
    if relation != "received":
        raise NotFound()
    return item


async def _choose(
    relay: Relay, party: Party, item_id: str, *, state: str, refused: dict[str, str]
) -> dict[str, object]:
    """The recipient opens or declines a waiting item (once); a repeat changes nothing."""
    column = {"opened": "opened_at", "declined": "declined_at"}[state]
    async with relay.db.write() as conn:
        item = await _received(relay, conn, party, item_id)
        if item["recipient_state"] in refused:
            raise Conflict(refused[item["recipient_state"]])
        if item["recipient_state"] == "waiting":
            now = relay.now()
            await conn.execute(
                f"UPDATE items SET recipient_state = ?, {column} = ? WHERE id = ?",  # noqa: S608
                (state, stamp(now), item_id),
            )
            await relay.audit.append(
                conn,
                at=now,
                actor=party.label,
                action=f"item.{state}",
                case_id=party.case_id,
                subject=item_id,
            )
        return await _received_view(relay, conn, party, item_id)


async def open_item(relay: Relay, actor: Actor, item_id: str) -> dict[str, object]:
    refused = {"declined": "You chose not to receive this letter."}
    return await _choose(relay, party_only(actor), item_id, state="opened", refused=refused)


async def decline_item(relay: Relay, actor: Actor, item_id: str) -> dict[str, object]:
    refused = {"opened": "This letter has already been opened."}
    return await _choose(relay, principal_only(actor), item_id, state="declined", refused=refused)


async def _received_view(
    relay: Relay, conn: Connection, party: Party, item_id: str
) -> dict[str, object]:
    rows = await fetch_all(conn, "SELECT * FROM items WHERE id = ?", (item_id,))
    people = await _aliases(conn, party.case_id)
    cipher = await relay.cipher(conn, party.case_id)
    view = received_view(cipher, rows[0], people[rows[0]["author_id"]]["alias"], relay)
    await add_listings(conn, [view], only_opened=True)
    return view


async def ask_practitioner(relay: Relay, actor: Actor, item_id: str) -> dict[str, object]:
    party = party_only(actor)
    async with relay.db.write() as conn:
        item = await _received(relay, conn, party, item_id)
        if item["help_requested_at"] is None:
            now = relay.now()
            await conn.execute(
                "UPDATE items SET help_requested_at = ? WHERE id = ?", (stamp(now), item_id)
            )
            await relay.audit.append(
                conn,
                at=now,
                actor=party.label,
                action="item.help_requested",
                case_id=party.case_id,
                subject=item_id,
            )
        return await _received_view(relay, conn, party, item_id)


async def preferences(relay: Relay, actor: Actor) -> dict[str, object]:
    party = principal_only(actor)
    rows = await fetch_all(
        relay.db.reader,
        "SELECT read_receipts, window_json FROM participants WHERE id = ?",
        (party.id,),
    )
    window = delivery.window_from_json(rows[0]["window_json"], relay.config.delivery_window)
    return {
        "read_receipts": bool(rows[0]["read_receipts"]),
        "delivery_window": None if window is None else window.as_json(),
    }


async def set_preferences(
    relay: Relay, actor: Actor, read_receipts: bool, window: DeliveryWindow | None
) -> dict[str, object]:
    party = principal_only(actor)
    async with relay.db.write() as conn:
        case = await _case(conn, party)
        if case["status"] in TERMINAL:
            raise Conflict("This process has ended; preferences can no longer change.")
        raw = json.dumps(None if window is None else window.as_json())
        await conn.execute(
            "UPDATE participants SET read_receipts = ?, window_json = ? WHERE id = ?",
            (int(read_receipts), raw, party.id),
        )
        await relay.audit.append(
            conn,
            at=relay.now(),
            actor=party.label,
            action="participant.preferences",
            case_id=party.case_id,
            subject=party.id,
            read_receipts=read_receipts,
            window=window is not None,
        )
        await delivery.release(relay, conn, party.case_id)
    return {
        "read_receipts": read_receipts,
        "delivery_window": None if window is None else window.as_json(),
    }


def forbid_supporter_withdrawal(actor: Actor) -> Party:
    party = party_only(actor)
    if party.supports is not None:
        raise Forbidden("A supporter cannot withdraw; the person you support can.")
    return party


async def correspondence(relay: Relay, actor: Actor) -> dict[str, object]:
    """A participant's own record: what they sent, as delivered, and what they opened."""
    party = party_only(actor)
    items = await my_items(relay, party)
    sent = [
        {
            "id": entry["id"],
            "kind": entry["kind"],
            "text": entry.get("delivered_text", entry["text"]),
        }
        for entry in items["sent"]
        if entry["state"] in ("delivered", "opened")
    ]
    received = [
        {
            "id": entry["id"],
            "kind": entry["kind"],
            "from_alias": entry["from_alias"],
            "delivered_on": entry["delivered_on"],
            "text": entry["text"],
        }
        for entry in items["received"]
        if "text" in entry
    ]
    me_view = await me(relay, party)
    return {"alias": me_view["alias"], "sent": sent, "received": received}
