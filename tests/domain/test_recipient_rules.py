"""The recipient's choices and the author's view of them, called directly (relay.domain.portal)."""

from __future__ import annotations

import pytest

from moderation.redaction import Span
from relay.domain import portal
from relay.domain.errors import Conflict, Forbidden, NotFound
from relay.domain.gates import set_supporter_access
from tests.domain.scene import AFTERNOONS, LETTER, WITH_DETAILS, Scene, join


async def _receipts_on(scene: Scene) -> None:
    await portal.set_preferences(scene.relay, scene.harmed, True, None)


# -- the recipient: open or decline, only what was delivered ---------------------------------
@pytest.mark.parametrize("choose", [portal.open_item, portal.decline_item])
async def test_a_recipient_cannot_open_or_decline_an_item_not_delivered(
    scene: Scene, choose: object
) -> None:
    await scene.set_window(scene.harmed, AFTERNOONS)
    pending = await scene.letter(scene.responsible)
    approved = await scene.letter(scene.responsible)
    await scene.decide(scene.sam, approved, version=1)  # waits for the window

    for item_id in (pending, approved):
        with pytest.raises(NotFound):
            await choose(scene.relay, scene.harmed, item_id)  # type: ignore[operator]
        assert (await scene.item(item_id)).recipient_state is None


@pytest.mark.parametrize("choose", [portal.open_item, portal.decline_item])
async def test_an_author_cannot_open_or_decline_their_own_item(
    scene: Scene, choose: object
) -> None:
    item_id = await scene.delivered()
    with pytest.raises(NotFound):
        await choose(scene.relay, scene.responsible, item_id)  # type: ignore[operator]
    assert (await scene.item(item_id)).recipient_state == "waiting"


async def test_a_delivered_item_waits_with_its_text_hidden(scene: Scene) -> None:
    item_id = await scene.letter(scene.responsible)
    await scene.decide(scene.sam, item_id, version=1, content_note="An apology.")

    view = (await scene.received(scene.harmed))[item_id]

    assert view["state"] == "waiting" and view["content_note"] == "An apology."
    assert "text" not in view
    assert view["from_alias"] == "Sam R" and view["delivered_on"] == "2026-03-02"


async def test_opening_a_delivered_item_shows_the_delivered_text(scene: Scene) -> None:
    item_id = await scene.letter(scene.responsible, WITH_DETAILS)
    await scene.decide(
        scene.sam, item_id, "redact", version=1, redactions=[Span(11, 23), Span(36, 55)]
    )

    opened = await portal.open_item(scene.relay, scene.harmed, item_id)

    assert opened["state"] == "opened"
    assert opened["text"] == "Call me on [removed] or write to [removed] please."
    assert (await scene.item(item_id)).opened_at is not None


async def test_declining_a_delivered_item_keeps_its_text_hidden(scene: Scene) -> None:
    item_id = await scene.delivered()

    declined = await portal.decline_item(scene.relay, scene.harmed, item_id)

    assert declined["state"] == "declined" and "text" not in declined
    assert (await scene.item(item_id)).declined_at is not None


async def test_an_opened_item_cannot_then_be_declined(scene: Scene) -> None:
    item_id = await scene.delivered()
    await portal.open_item(scene.relay, scene.harmed, item_id)
    with pytest.raises(Conflict):
        await portal.decline_item(scene.relay, scene.harmed, item_id)
    assert (await scene.item(item_id)).recipient_state == "opened"


async def test_a_declined_item_cannot_then_be_opened(scene: Scene) -> None:
    item_id = await scene.delivered()
    await portal.decline_item(scene.relay, scene.harmed, item_id)
    with pytest.raises(Conflict):
        await portal.open_item(scene.relay, scene.harmed, item_id)
    assert (await scene.item(item_id)).recipient_state == "declined"


async def test_opening_twice_changes_nothing(scene: Scene) -> None:
    item_id = await scene.delivered()
    first = await portal.open_item(scene.relay, scene.harmed, item_id)
    opened_at = (await scene.item(item_id)).opened_at
    scene.clock.set(scene.clock.now.replace(hour=11))

    again = await portal.open_item(scene.relay, scene.harmed, item_id)

    assert again == first
    assert (await scene.item(item_id)).opened_at == opened_at
    opens = [e for e in await scene.events(item_id) if e.action == "item.opened"]
    assert len(opens) == 1


async def test_a_supporter_may_open_but_not_decline_for_the_principal(scene: Scene) -> None:
    supporter = await join(
        scene.relay, scene.sam, scene.case_id, "supporter", "Pat", scene.harmed.id
    )
    await set_supporter_access(scene.relay, scene.sam, scene.case_id, scene.harmed.id, True)
    item_id = await scene.delivered()

    with pytest.raises(Forbidden):
        await portal.decline_item(scene.relay, supporter, item_id)
    assert (await scene.item(item_id)).recipient_state == "waiting"


async def test_after_withdrawal_a_delivered_item_can_still_be_opened(scene: Scene) -> None:
    item_id = await scene.delivered()
    await scene.withdraw(scene.responsible)

    opened = await portal.open_item(scene.relay, scene.harmed, item_id)

    assert opened["text"] == LETTER


async def test_after_withdrawal_a_delivered_item_can_still_be_declined(scene: Scene) -> None:
    item_id = await scene.delivered()
    await scene.withdraw(scene.harmed)
    assert (await portal.decline_item(scene.relay, scene.harmed, item_id))["state"] == "declined"


# -- the author's view -----------------------------------------------------------------------
async def test_the_author_sees_pending_while_awaiting_countersign(high_risk: Scene) -> None:
    item_id = await high_risk.letter(high_risk.responsible)
    await high_risk.decide(high_risk.val, item_id, version=1)
    assert (await high_risk.item(item_id)).state == "countersign"

    assert (await high_risk.sent(high_risk.responsible))[item_id]["state"] == "pending"


async def test_the_author_sees_approved_while_it_waits_for_release(scene: Scene) -> None:
    await scene.set_window(scene.harmed, AFTERNOONS)
    item_id = await scene.letter(scene.responsible)
    await scene.decide(scene.sam, item_id, version=1)
    assert (await scene.sent(scene.responsible))[item_id]["state"] == "approved"


@pytest.mark.parametrize("action", ["return", "reject"])
async def test_the_author_sees_a_return_or_rejection_with_its_note(
    scene: Scene, action: str
) -> None:
    item_id = await scene.letter(scene.responsible)
    await scene.decide(scene.sam, item_id, action, version=1, note="Please leave out the address.")

    view = (await scene.sent(scene.responsible))[item_id]

    assert view["state"] == {"return": "returned", "reject": "rejected"}[action]
    assert view["note"] == "Please leave out the address."


async def test_the_author_sees_not_delivered_for_a_halted_item(scene: Scene) -> None:
    item_id = await scene.letter(scene.responsible)
    await scene.withdraw(scene.harmed)
    assert (await scene.item(item_id)).state == "halted"

    assert (await scene.sent(scene.responsible))[item_id]["state"] == "not_delivered"


async def test_the_author_sees_not_delivered_for_a_declined_item(scene: Scene) -> None:
    item_id = await scene.delivered()
    await portal.decline_item(scene.relay, scene.harmed, item_id)

    view = (await scene.sent(scene.responsible))[item_id]

    assert view["state"] == "not_delivered"
    assert "declined" not in str(view)


async def test_halted_and_declined_look_the_same_to_the_author(scene: Scene) -> None:
    declined = await scene.delivered()
    await portal.decline_item(scene.relay, scene.harmed, declined)
    halted = await scene.letter(scene.responsible)
    await scene.withdraw(scene.harmed)

    sent = await scene.sent(scene.responsible)

    assert set(sent[declined]) == set(sent[halted])
    assert sent[declined]["state"] == sent[halted]["state"] == "not_delivered"


async def test_the_author_sees_delivered_not_opened_without_read_receipts(scene: Scene) -> None:
    item_id = await scene.delivered()
    await portal.open_item(scene.relay, scene.harmed, item_id)

    assert (await scene.sent(scene.responsible))[item_id]["state"] == "delivered"


async def test_the_author_sees_opened_once_the_recipient_turns_read_receipts_on(
    scene: Scene,
) -> None:
    item_id = await scene.delivered()
    await portal.open_item(scene.relay, scene.harmed, item_id)

    await _receipts_on(scene)

    assert (await scene.sent(scene.responsible))[item_id]["state"] == "opened"


async def test_read_receipts_show_only_an_opened_item_as_opened(scene: Scene) -> None:
    await _receipts_on(scene)
    item_id = await scene.delivered()
    assert (await scene.sent(scene.responsible))[item_id]["state"] == "delivered"


async def test_read_receipts_are_off_by_default(scene: Scene) -> None:
    assert (await portal.preferences(scene.relay, scene.harmed))["read_receipts"] is False


async def test_the_author_sees_their_text_and_what_was_delivered_when_it_differs(
    scene: Scene,
) -> None:
    redacted = await scene.letter(scene.responsible, WITH_DETAILS)
    await scene.decide(
        scene.sam, redacted, "redact", version=1, redactions=[Span(11, 23), Span(36, 55)]
    )
    unchanged = await scene.delivered()

    sent = await scene.sent(scene.responsible)

    assert sent[redacted]["text"] == WITH_DETAILS
    assert sent[redacted]["delivered_text"] == "Call me on [removed] or write to [removed] please."
    assert sent[unchanged]["text"] == LETTER and "delivered_text" not in sent[unchanged]
