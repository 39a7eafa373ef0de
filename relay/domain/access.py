"""Authorization, decided here and only here.

A specialist sees every case; a volunteer only the cases assigned to them; a participant only
their own case, their own items and items delivered to their side. Anything outside the
caller's reach is reported exactly like something that does not exist (404).
"""

from __future__ import annotations

from relay.domain.actors import Actor, Party, Staff
from relay.domain.errors import Forbidden, NotFound
from relay.storage import Connection, Row, fetch_all

TERMINAL = ("closed", "withdrawn")


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


async def case_row(conn: Connection, actor: Actor, case_id: str) -> Row:
    """The case, if the actor may see it; NotFound otherwise."""
    rows = await fetch_all(conn, "SELECT * FROM cases WHERE id = ?", (case_id,))
    if not rows or not await may_see_case(conn, actor, case_id):
        raise NotFound()
    return rows[0]


async def may_see_case(conn: Connection, actor: Actor, case_id: str) -> bool:
    if isinstance(actor, Party):
        return actor.case_id == case_id
    if actor.is_specialist:
        return True
    rows = await fetch_all(
        conn,
        "SELECT 1 FROM case_assignments WHERE case_id = ? AND practitioner_id = ?",
        (case_id, actor.id),
    )
    return bool(rows)


async def item_for_staff(conn: Connection, actor: Actor, item_id: str) -> Row:
    staff = staff_only(actor)
    rows = await fetch_all(conn, "SELECT * FROM items WHERE id = ?", (item_id,))
    if not rows or not await may_see_case(conn, staff, rows[0]["case_id"]):
        raise NotFound()
    return rows[0]


async def supporter_may_read(conn: Connection, party: Party) -> bool:
    if party.supports is None:
        return True
    rows = await fetch_all(
        conn, "SELECT supporter_read FROM participants WHERE id = ?", (party.supports,)
    )
    return bool(rows and rows[0][0])


async def item_for_party(conn: Connection, actor: Actor, item_id: str) -> tuple[Row, str]:
    """The item and how the participant relates to it: 'sent' or 'received'."""
    party = party_only(actor)
    rows = await fetch_all(
        conn, "SELECT * FROM items WHERE id = ? AND case_id = ?", (item_id, party.case_id)
    )
    if rows:
        item = rows[0]
        if item["author_id"] == party.id or (
            party.supports is None and item["sender_id"] == party.id
        ):
            return item, "sent"
        if (
            item["recipient_id"] == party.principal_id
            and item["state"] == "delivered"
            and await supporter_may_read(conn, party)
        ):
            return item, "received"
    raise NotFound()
