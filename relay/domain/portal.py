"""The participant's side: their case as they may see it, their items, and their choices."""

from __future__ import annotations

import json

from relay.config import DeliveryWindow
from relay.domain import delivery
from relay.domain.access import item_for_party, party_only, principal_only, supporter_may_read
from relay.domain.actors import Actor, Party
from relay.domain.attachments import add_listings
from relay.domain.errors import Conflict, Forbidden, NotFound
from relay.domain.hub import Relay, stamp
from relay.domain.lifecycle import recipient_move
from relay.domain.states import ON_HOLD, CaseStatus, RecipientState
from relay.domain.views import received_view, sent_view
from relay.storage import cases, inbox, items, participants
from relay.storage.cases import Case
from relay.storage.items import Item
from relay.storage.participants import Participant
from relay.storage.tx import Tx


def visible_status(status: str, withdrawn_by: str | None, party: Party) -> str:
    """Participants see on_hold / active / ended — and `withdrawn` only if they withdrew."""
    if status in ON_HOLD:
        return "on_hold"
    if status == CaseStatus.ACTIVE:
        return "active"
    if status == CaseStatus.WITHDRAWN and withdrawn_by == party.id:
        return "withdrawn"
    return "ended"


def _case(tx: Tx, party: Party) -> Case:
    case = cases.get(tx, party.case_id)
    if case is None:
        raise NotFound()
    return case


def _people(tx: Tx, case_id: str) -> dict[str, Participant]:
    """The case's participants by id (records without contact details: aliases and roles)."""
    return {p.id: p for p in participants.of_case(tx, case_id)}


def _me(tx: Tx, party: Party) -> dict[str, object]:
    case = _case(tx, party)
    people = _people(tx, party.case_id)
    other = next(
        (
            p.alias
            for p in people.values()
            if p.role in ("harmed", "responsible") and p.id != party.principal_id
        ),
        None,
    )
    view: dict[str, object] = {
        "alias": people[party.id].alias,
        "role": party.role,
        "case": {
            "status": visible_status(case.status, case.withdrawn_by, party),
            "other_party_alias": other,
        },
    }
    if party.supports is not None:
        view["supports_alias"] = people[party.supports].alias
        view["may_read_received"] = supporter_may_read(tx, party)
    return view


async def me(relay: Relay, actor: Actor) -> dict[str, object]:
    party = party_only(actor)
    return await relay.store.read(lambda tx: _me(tx, party))


def _my_items(relay: Relay, tx: Tx, party: Party) -> dict[str, list[dict[str, object]]]:
    people = _people(tx, party.case_id)
    # A principal sees everything sent from their side; a supporter only what they wrote.
    sent_items = inbox.sent(tx, party.case_id, party.id, as_author=party.supports is not None)
    received_items = []
    if supporter_may_read(tx, party):
        received_items = inbox.received(tx, party.case_id, party.principal_id)
    sent = [
        sent_view(entry, bool(people[entry.item.recipient_id].read_receipts))
        for entry in sent_items
    ]
    received = [
        received_view(entry, people[entry.item.author_id].alias, relay) for entry in received_items
    ]
    add_listings(tx, sent)
    add_listings(tx, received, only_opened=True)
    return {"sent": sent, "received": received}


async def my_items(relay: Relay, actor: Actor) -> dict[str, list[dict[str, object]]]:
    party = party_only(actor)
    return await relay.store.read(lambda tx: _my_items(relay, tx, party))


def _received(tx: Tx, party: Party, item_id: str) -> Item:
    item, relation = item_for_party(tx, party, item_id)
    if relation != "received":
        raise NotFound()
    return item


def _received_view(relay: Relay, tx: Tx, party: Party, item_id: str) -> dict[str, object]:
    entry = inbox.received_one(tx, item_id)
    people = _people(tx, party.case_id)
    view = received_view(entry, people[entry.item.author_id].alias, relay)
    add_listings(tx, [view], only_opened=True)
    return view


async def _choose(
    relay: Relay, party: Party, item_id: str, state: RecipientState
) -> dict[str, object]:
    """The recipient opens or declines a waiting item (once); a repeat changes nothing."""
    column = {RecipientState.OPENED: "opened_at", RecipientState.DECLINED: "declined_at"}[state]

    def work(tx: Tx) -> dict[str, object]:
        item = _received(tx, party, item_id)
        if item.recipient_state != state:
            recipient_move(item.recipient_state, state)
            now = relay.now()
            items.update(tx, item, {"recipient_state": state, column: stamp(now)})
            relay.audit.append(
                tx,
                at=now,
                actor=party.label,
                action=f"item.{state}",
                case_id=party.case_id,
                subject=item_id,
            )
        return _received_view(relay, tx, party, item_id)

    return await relay.store.write(work)


async def open_item(relay: Relay, actor: Actor, item_id: str) -> dict[str, object]:
    return await _choose(relay, party_only(actor), item_id, RecipientState.OPENED)


async def decline_item(relay: Relay, actor: Actor, item_id: str) -> dict[str, object]:
    return await _choose(relay, principal_only(actor), item_id, RecipientState.DECLINED)


async def ask_practitioner(relay: Relay, actor: Actor, item_id: str) -> dict[str, object]:
    party = party_only(actor)

    def work(tx: Tx) -> dict[str, object]:
        item = _received(tx, party, item_id)
        if item.help_requested_at is None:
            now = relay.now()
            items.update(tx, item, {"help_requested_at": stamp(now)})
            relay.audit.append(
                tx,
                at=now,
                actor=party.label,
                action="item.help_requested",
                case_id=party.case_id,
                subject=item_id,
            )
        return _received_view(relay, tx, party, item_id)

    return await relay.store.write(work)


def _preferences_view(read_receipts: bool, window: DeliveryWindow | None) -> dict[str, object]:
    return {
        "read_receipts": read_receipts,
        "delivery_window": None if window is None else window.as_json(),
    }


async def preferences(relay: Relay, actor: Actor) -> dict[str, object]:
    party = principal_only(actor)
    found = await relay.store.read(lambda tx: participants.get(tx, party.id))
    if found is None:
        raise NotFound()
    window = delivery.window_from_json(found.window_json, relay.config.delivery_window)
    return _preferences_view(bool(found.read_receipts), window)


async def set_preferences(
    relay: Relay, actor: Actor, read_receipts: bool, window: DeliveryWindow | None
) -> dict[str, object]:
    party = principal_only(actor)
    raw = json.dumps(None if window is None else window.as_json())

    def work(tx: Tx) -> None:
        if _case(tx, party).ended:
            raise Conflict("This process has ended; preferences can no longer change.")
        inbox.set_preferences(tx, party.id, read_receipts, raw)
        relay.audit.append(
            tx,
            at=relay.now(),
            actor=party.label,
            action="participant.preferences",
            case_id=party.case_id,
            subject=party.id,
            read_receipts=read_receipts,
            window=window is not None,
        )
        delivery.release(relay, tx, party.case_id)

    await relay.store.write(work)
    return _preferences_view(read_receipts, window)


def forbid_supporter_withdrawal(actor: Actor) -> Party:
    party = party_only(actor)
    if party.supports is not None:
        raise Forbidden("A supporter cannot withdraw; the person you support can.")
    return party


async def correspondence(relay: Relay, actor: Actor) -> dict[str, object]:
    """A participant's own record: what they sent, as delivered, and what they opened."""
    party = party_only(actor)

    def read(tx: Tx) -> tuple[dict[str, list[dict[str, object]]], dict[str, object]]:
        return _my_items(relay, tx, party), _me(tx, party)

    mine, me_view = await relay.store.read(read)
    sent = [
        {
            "id": entry["id"],
            "kind": entry["kind"],
            "text": entry.get("delivered_text", entry["text"]),
        }
        for entry in mine["sent"]
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
        for entry in mine["received"]
        if "text" in entry
    ]
    return {"alias": me_view["alias"], "sent": sent, "received": received}
