"""Authorization, decided here and only here.

A specialist sees every case; a volunteer only the cases assigned to them; a participant only
their own case, their own items and items delivered to their side. Anything outside the
caller's reach is reported exactly like something that does not exist (404).

These run inside a transaction function (they take the `Tx` the store handed it).
"""

from __future__ import annotations

from relay.domain.actors import Actor, Party, Staff
from relay.domain.errors import Forbidden, NotFound
from relay.domain.states import TERMINAL, ItemState
from relay.storage import cases, items, participants
from relay.storage.cases import Case
from relay.storage.items import Item
from relay.storage.tx import Tx

__all__ = ["TERMINAL", "case_for", "item_for_party", "item_for_staff", "may_see_case"]


def staff_only(actor: Actor) -> Staff:
    if not isinstance(actor, Staff):
        raise Forbidden("This is for practitioners only.")
    return actor


def specialist_only(actor: Actor) -> Staff:
    staff = staff_only(actor)
    if not staff.is_specialist:
        raise Forbidden("Only an RJ specialist may do this.")
    return staff


def party_only(actor: Actor) -> Party:
    if not isinstance(actor, Party):
        raise Forbidden("This is for participants of a case only.")
    return actor


def principal_only(actor: Actor) -> Party:
    party = party_only(actor)
    if party.supports is not None:
        raise Forbidden("Only the person you support can do this.")
    return party


def case_for(tx: Tx, actor: Actor, case_id: str) -> Case:
    """The case, if the actor may see it; NotFound otherwise."""
    case = cases.get(tx, case_id)
    if case is None or not may_see_case(tx, actor, case_id):
        raise NotFound()
    return case


def may_see_case(tx: Tx, actor: Actor, case_id: str) -> bool:
    if isinstance(actor, Party):
        return actor.case_id == case_id
    if actor.is_specialist:
        return True
    return cases.is_assigned(tx, case_id, actor.id)


def item_for_staff(tx: Tx, actor: Actor, item_id: str) -> Item:
    staff = staff_only(actor)
    item = items.get(tx, item_id)
    if item is None or not may_see_case(tx, staff, item.case_id):
        raise NotFound()
    return item


def supporter_may_read(tx: Tx, party: Party) -> bool:
    if party.supports is None:
        return True
    principal = participants.get(tx, party.supports)
    return bool(principal and principal.supporter_read)


def item_for_party(tx: Tx, actor: Actor, item_id: str) -> tuple[Item, str]:
    """The item and how the participant relates to it: 'sent' or 'received'."""
    party = party_only(actor)
    item = items.get_in_case(tx, item_id, party.case_id)
    if item is not None:
        if item.author_id == party.id or (party.supports is None and item.sender_id == party.id):
            return item, "sent"
        if (
            item.recipient_id == party.principal_id
            and item.state == ItemState.DELIVERED
            and supporter_may_read(tx, party)
        ):
            return item, "received"
    raise NotFound()
