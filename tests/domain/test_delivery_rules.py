"""Release and halting, called directly: delivery windows, a paused case, withdrawal."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from relay.domain import cases, delivery, gates, items, portal
from relay.domain.errors import Conflict, Forbidden
from tests.domain.scene import AFTERNOONS, Scene, join

# Monday 2026-03-02 in London (UTC in winter): the window AFTERNOONS is 14:00-17:00.
BEFORE_WINDOW = datetime(2026, 3, 2, 13, 59, tzinfo=UTC)
IN_WINDOW = datetime(2026, 3, 2, 14, 30, tzinfo=UTC)


# -- the recipient's delivery window ---------------------------------------------------------
async def test_approval_while_the_recipients_window_is_closed_waits_as_approved(
    scene: Scene,
) -> None:
    await scene.set_window(scene.harmed, AFTERNOONS)
    item_id = await scene.letter(scene.responsible)

    decided = await scene.decide(scene.sam, item_id, version=1)

    assert decided == {"id": item_id, "state": "approved", "version": 2}
    held = await scene.item(item_id)
    assert (held.state, held.delivered_at, held.recipient_state) == ("approved", None, None)
    assert held.approved_at is not None
    assert await scene.received(scene.harmed) == {}
    assert (await scene.notifications()).get("queued", 0) == 0


async def test_release_delivers_nothing_before_the_window_opens(scene: Scene) -> None:
    await scene.set_window(scene.harmed, AFTERNOONS)
    item_id = await scene.letter(scene.responsible)
    await scene.decide(scene.sam, item_id, version=1)
    scene.clock.set(BEFORE_WINDOW)

    assert await delivery.release_all_due(scene.relay) == []
    assert (await scene.item(item_id)).state == "approved"


async def test_release_delivers_the_waiting_item_once_the_window_opens(scene: Scene) -> None:
    await scene.set_window(scene.harmed, AFTERNOONS)
    item_id = await scene.letter(scene.responsible)
    await scene.decide(scene.sam, item_id, version=1)
    scene.clock.set(IN_WINDOW)

    assert await delivery.release_all_due(scene.relay) == [item_id]

    delivered = await scene.item(item_id)
    assert delivered.state == "delivered" and delivered.recipient_state == "waiting"
    assert datetime.fromisoformat(str(delivered.delivered_at)) == IN_WINDOW
    assert delivered.version == 2  # release is not a decision
    assert (await scene.received(scene.harmed))[item_id]["state"] == "waiting"
    assert (await scene.notifications())["queued"] == 1
    assert "item.delivered" in [e.action for e in await scene.events(item_id)]


async def test_release_waits_for_the_windows_day_as_well_as_its_hours(scene: Scene) -> None:
    await scene.set_window(scene.harmed, AFTERNOONS)  # weekdays only
    item_id = await scene.letter(scene.responsible)
    await scene.decide(scene.sam, item_id, version=1)
    scene.clock.set(datetime(2026, 3, 7, 14, 30, tzinfo=UTC))  # Saturday afternoon

    assert await delivery.release_all_due(scene.relay) == []
    scene.clock.set(datetime(2026, 3, 9, 14, 30, tzinfo=UTC))  # Monday afternoon
    assert await delivery.release_all_due(scene.relay) == [item_id]


async def test_an_approval_inside_the_window_delivers_at_once(scene: Scene) -> None:
    await scene.set_window(scene.harmed, AFTERNOONS)
    scene.clock.set(IN_WINDOW)
    item_id = await scene.letter(scene.responsible)

    decided = await scene.decide(scene.sam, item_id, version=1)

    assert decided["state"] == "delivered"
    assert (await scene.notifications())["queued"] == 1


async def test_the_window_is_the_recipients_not_the_authors(scene: Scene) -> None:
    await scene.set_window(scene.responsible, AFTERNOONS)  # the author's window, closed
    item_id = await scene.letter(scene.responsible)
    assert (await scene.decide(scene.sam, item_id, version=1))["state"] == "delivered"


async def test_opening_the_window_releases_what_waited(scene: Scene) -> None:
    await scene.set_window(scene.harmed, AFTERNOONS)
    item_id = await scene.letter(scene.responsible)
    await scene.decide(scene.sam, item_id, version=1)

    await scene.set_window(scene.harmed, None)  # any time

    assert (await scene.item(item_id)).state == "delivered"


# -- a paused case ---------------------------------------------------------------------------
async def test_approval_on_a_paused_case_waits_as_approved(scene: Scene) -> None:
    item_id = await scene.letter(scene.responsible)
    await cases.pause(scene.relay, scene.sam, scene.case_id)

    decided = await scene.decide(scene.sam, item_id, version=1)

    assert decided["state"] == "approved"
    assert await scene.received(scene.harmed) == {}
    assert (await scene.notifications()).get("queued", 0) == 0


async def test_a_paused_case_delivers_nothing_on_release(scene: Scene) -> None:
    item_id = await scene.letter(scene.responsible)
    await cases.pause(scene.relay, scene.sam, scene.case_id)
    await scene.decide(scene.sam, item_id, version=1)
    scene.clock.set(scene.clock.now + timedelta(days=1))

    assert await delivery.release_all_due(scene.relay) == []
    assert (await scene.item(item_id)).state == "approved"


async def test_a_paused_case_still_takes_letters_and_decisions(scene: Scene) -> None:
    await cases.pause(scene.relay, scene.sam, scene.case_id)
    item_id = await scene.letter(scene.responsible)
    assert (await scene.decide(scene.sam, item_id, "return", version=1))["state"] == "returned"


async def test_an_unsafe_assessment_pauses_the_case_and_holds_approvals(scene: Scene) -> None:
    item_id = await scene.letter(scene.responsible)

    await gates.record_assessment(
        scene.relay, scene.sam, scene.case_id, scene.harmed.id, "unsafe", "Not now."
    )

    assert await scene.status() == "paused"
    assert (await scene.decide(scene.sam, item_id, version=1))["state"] == "approved"


async def test_resuming_a_paused_case_delivers_what_waited(scene: Scene) -> None:
    item_id = await scene.letter(scene.responsible)
    await cases.pause(scene.relay, scene.sam, scene.case_id)
    await scene.decide(scene.sam, item_id, version=1)

    await cases.activate(scene.relay, scene.sam, scene.case_id)

    assert (await scene.item(item_id)).state == "delivered"
    assert (await scene.notifications())["queued"] == 1


# -- withdrawal ------------------------------------------------------------------------------
async def test_withdrawal_halts_every_undelivered_item(high_risk: Scene) -> None:
    scene = high_risk
    pending = await scene.letter(scene.responsible)
    awaiting_countersign = await scene.letter(scene.responsible)
    await scene.decide(scene.val, awaiting_countersign, version=1)
    returned = await scene.letter(scene.harmed)
    await scene.decide(scene.sam, returned, "return", version=1)
    delivered = await scene.delivered()
    await scene.set_window(scene.harmed, AFTERNOONS)
    approved = await scene.letter(scene.responsible)
    await scene.decide(scene.sam, approved, version=1)
    rejected = await scene.letter(scene.responsible)
    await scene.decide(scene.sam, rejected, "reject", version=1)

    await scene.withdraw(scene.harmed)

    states = {i: (await scene.item(i)).state for i in (pending, awaiting_countersign, returned)}
    states[approved] = (await scene.item(approved)).state
    assert set(states.values()) == {"halted"}
    assert (await scene.item(delivered)).state == "delivered"
    assert (await scene.item(rejected)).state == "rejected"
    assert await scene.status() == "withdrawn"


async def test_withdrawal_halts_for_good(scene: Scene) -> None:
    await scene.set_window(scene.harmed, AFTERNOONS)
    item_id = await scene.letter(scene.responsible)
    await scene.decide(scene.sam, item_id, version=1)
    await scene.withdraw(scene.responsible)
    scene.clock.set(IN_WINDOW)

    assert await delivery.release_all_due(scene.relay) == []
    with pytest.raises(Conflict):
        await scene.decide(scene.sam, item_id, "reject", version=2, note="No.")
    assert (await scene.item(item_id)).state == "halted"


async def test_withdrawal_drops_queued_notifications(scene: Scene) -> None:
    await scene.delivered()
    await scene.delivered()
    assert (await scene.notifications())["queued"] == 2

    await scene.withdraw(scene.responsible)

    counts = await scene.notifications()
    assert counts.get("queued", 0) == 0 and counts["dropped"] == 2


async def test_withdrawal_audits_each_halt(scene: Scene) -> None:
    item_id = await scene.letter(scene.responsible)
    await scene.withdraw(scene.harmed)
    (halt,) = [e for e in await scene.events(item_id) if e.action == "item.halted"]
    assert halt.details["previous"] == "pending"


async def test_after_withdrawal_nothing_more_can_be_written_or_revised(scene: Scene) -> None:
    returned = await scene.letter(scene.responsible)
    await scene.decide(scene.sam, returned, "return", version=1)
    await scene.withdraw(scene.harmed)

    with pytest.raises(Conflict):
        await items.write_item(scene.relay, scene.responsible, kind="letter", body="Hello.")
    with pytest.raises(Conflict):
        await items.revise_item(scene.relay, scene.responsible, returned, "Hello again.")
    with pytest.raises(Conflict):
        await portal.set_preferences(scene.relay, scene.harmed, True, None)
    assert (await scene.sent(scene.responsible))[returned]["state"] == "not_delivered"


async def test_a_practitioner_withdraws_a_principal_on_their_behalf(scene: Scene) -> None:
    item_id = await scene.letter(scene.harmed)
    await cases.withdraw(scene.relay, scene.sam, scene.case_id, scene.responsible.id)
    assert await scene.status() == "withdrawn"
    assert (await scene.item(item_id)).state == "halted"


async def test_a_principal_cannot_withdraw_the_other_side(scene: Scene) -> None:
    with pytest.raises(Forbidden):
        await cases.withdraw(scene.relay, scene.harmed, scene.case_id, scene.responsible.id)
    assert await scene.status() == "active"


async def test_a_supporter_cannot_withdraw(scene: Scene) -> None:
    supporter = await join(
        scene.relay, scene.sam, scene.case_id, "supporter", "Pat", scene.harmed.id
    )
    with pytest.raises(Conflict):
        await cases.withdraw(scene.relay, supporter, scene.case_id, supporter.id)
    with pytest.raises(Forbidden):
        await cases.withdraw(scene.relay, supporter, scene.case_id, scene.harmed.id)
    assert await scene.status() == "active"
