"""A case set up through the domain itself (no HTTP), and small readers of what it holds.

The practitioners `sam` (specialist), `val` and `vic` (volunteers) are the ones the root
`client` fixture creates; they sign in here through `relay.domain.sessions`, and participants
activate their invite codes the same way, so every actor is a real one with a real session.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import time
from typing import Any

from relay.audit import AuditLog
from relay.audit.chain import AuditEvent
from relay.clock import FrozenClock
from relay.config import DeliveryWindow
from relay.domain import cases, decisions, gates, items, portal
from relay.domain.actors import Party, Staff
from relay.domain.decisions import Decision
from relay.domain.hub import Relay
from relay.domain.participants import add_participant
from relay.domain.sessions import party_activate, staff_login
from relay.storage import cases as stored_cases
from relay.storage import items as stored_items
from relay.storage.items import Content, Item
from tests.conftest import PASSPHRASE, PASSWORD, VAULTS

# Weekdays 14:00-17:00 in London: closed at the fixture clock's start (Monday 10:00).
AFTERNOONS = DeliveryWindow((1, 2, 3, 4, 5), time(14, 0), time(17, 0))
LETTER = "I am sorry for what I did to you."
# A phone number (f1) and an email address (f2).
WITH_DETAILS = "Call me on 07700 900123 or write to j.smith@example.com please."


@dataclass
class Staffroom:
    relay: Relay
    clock: FrozenClock
    sam: Staff
    val: Staff
    vic: Staff


async def staffroom(relay: Relay, clock: FrozenClock) -> Staffroom:
    signed_in = [(await staff_login(relay, name, PASSWORD)).actor for name in ("sam", "val", "vic")]
    sam, val, vic = (actor for actor in signed_in if isinstance(actor, Staff))
    return Staffroom(relay, clock, sam, val, vic)


async def join(
    relay: Relay, staff: Staff, case_id: str, role: str, alias: str, supports: str | None = None
) -> Party:
    """Add a participant and activate their invite code: the signed-in Party."""
    added = await add_participant(
        relay, staff, case_id, role=role, alias=alias, vault=VAULTS[role], supports=supports
    )
    session, _login = await party_activate(relay, added.invite_code, PASSPHRASE)
    assert isinstance(session.actor, Party)
    return session.actor


@dataclass
class Scene:
    """An active case with both principals signed in; `val` is assigned to it, `vic` is not."""

    relay: Relay
    clock: FrozenClock
    sam: Staff
    val: Staff
    vic: Staff
    case_id: str
    harmed: Party
    responsible: Party

    # -- doing ---------------------------------------------------------------------------
    async def letter(self, author: Party, body: str = LETTER) -> str:
        written = await items.write_item(self.relay, author, kind="letter", body=body)
        return str(written["id"])

    async def decide(
        self, staff: Staff, item_id: str, action: str = "approve", **kw: Any
    ) -> dict[str, object]:
        if "version" not in kw:
            kw["version"] = (await self.item(item_id)).version
        if action in ("return", "reject") and "note" not in kw:
            kw["note"] = "Please say this another way."
        return await decisions.decide(self.relay, staff, item_id, Decision(action=action, **kw))

    async def delivered(self, author: Party | None = None, body: str = LETTER) -> str:
        """A letter from `author` (the responsible person by default), approved and delivered."""
        item_id = await self.letter(author or self.responsible, body)
        assert (await self.decide(self.sam, item_id))["state"] == "delivered"
        return item_id

    async def set_window(self, party: Party, window: DeliveryWindow | None) -> None:
        await portal.set_preferences(self.relay, party, False, window)

    async def withdraw(self, party: Party) -> None:
        await cases.withdraw(self.relay, party, self.case_id, party.id)

    # -- reading back --------------------------------------------------------------------
    async def item(self, item_id: str) -> Item:
        found = await self.relay.store.read(lambda tx: stored_items.get(tx, item_id))
        assert found is not None
        return found

    async def content(self, item_id: str) -> Content:
        def read(tx: Any) -> Content:
            found = stored_items.get(tx, item_id)
            assert found is not None
            return stored_items.content(tx, found)

        return await self.relay.store.read(read)

    async def events(self, item_id: str) -> list[AuditEvent]:
        return await self.relay.store.read(lambda tx: AuditLog.events(tx, subject=item_id))

    async def notifications(self) -> dict[str, int]:
        return await self.relay.store.read(
            lambda tx: stored_cases.notification_counts(tx, self.case_id)
        )

    async def status(self) -> str:
        case = await self.relay.store.read(lambda tx: stored_cases.get(tx, self.case_id))
        assert case is not None
        return case.status

    async def sent(self, party: Party) -> dict[str, dict[str, object]]:
        """The party's sent items as they see them, by id."""
        return {str(v["id"]): v for v in (await portal.my_items(self.relay, party))["sent"]}

    async def received(self, party: Party) -> dict[str, dict[str, object]]:
        return {str(v["id"]): v for v in (await portal.my_items(self.relay, party))["received"]}


async def open_case(room: Staffroom, risk_level: str = "standard") -> Scene:
    """An active case with every gate met, both principals signed in, `val` assigned."""
    relay, sam = room.relay, room.sam
    case = await cases.create_case(
        relay, sam, crime_reference="CR/20431/25", modality="letters", risk_level=risk_level
    )
    harmed = await join(relay, sam, case.id, "harmed", "Alex")
    responsible = await join(relay, sam, case.id, "responsible", "Sam R")
    for person in (harmed, responsible):
        await gates.record_consent(relay, sam, case.id, person.id, True)
        await gates.record_assessment(relay, sam, case.id, person.id, "safe", "No concerns.")
    await gates.record_admission(relay, sam, case.id, "Admitted in interview.")
    await cases.activate(relay, sam, case.id)
    await cases.assign(relay, sam, case.id, "val")
    return Scene(relay, room.clock, room.sam, room.val, room.vic, case.id, harmed, responsible)
