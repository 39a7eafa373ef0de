"""Victim-led delivery: content notes, declining, read receipts, delivery windows."""

from __future__ import annotations

from datetime import timedelta

from relay.clock import FrozenClock
from relay.domain.delivery import release_all_due
from relay.http import RELAY
from tests.conftest import World


async def _approved(world: World, text: str = "I am sorry.", **decision: object) -> str:
    item = await world.api.ok(
        "POST", "/me/items", world.responsible, {"kind": "letter", "body": text}, status=201
    )
    await world.api.ok(
        "POST",
        f"/items/{item['id']}/decision",
        world.specialist,
        {"action": "approve", "version": 1, **decision},
    )
    return str(item["id"])


async def _weekdays_nine_to_five(world: World) -> None:
    """The harmed party takes letters only Monday to Friday, 09:00-17:00 (London)."""
    await world.api.ok(
        "PUT",
        "/me/preferences",
        world.harmed,
        {
            "read_receipts": False,
            "delivery_window": {"days": [1, 2, 3, 4, 5], "start": "09:00", "end": "17:00"},
        },
    )


async def test_recipient_sees_the_content_note_before_choosing(world: World) -> None:
    item_id = await _approved(world, content_note="An apology; it describes the night.")
    received = (await world.api.ok("GET", "/me/items", world.harmed))["received"]
    assert received == [
        {
            "id": item_id,
            "kind": "letter",
            "state": "waiting",
            "from_alias": "Sam R",
            "delivered_on": "2026-03-02",
            "help_requested": False,
            "content_note": "An apology; it describes the night.",
        }
    ]


async def test_declined_letter_is_never_shown_and_writer_sees_only_not_delivered(
    world: World,
) -> None:
    item_id = await _approved(world, "Words the recipient chose not to read.")
    declined = await world.api.ok("POST", f"/me/items/{item_id}/decline", world.harmed)
    assert declined["state"] == "declined" and "text" not in declined
    status, body = await world.api.post(f"/me/items/{item_id}/open", world.harmed)
    assert status == 409
    assert "Words the recipient" not in str(body)
    inbox = await world.api.ok("GET", "/me/items", world.harmed)
    assert "Words the recipient" not in str(inbox)
    sent = (await world.api.ok("GET", "/me/items", world.responsible))["sent"]
    assert sent[0]["state"] == "not_delivered"
    assert "declined" not in str(sent)


async def test_with_receipts_off_the_writer_cannot_tell_a_letter_was_opened(
    world: World, clock: FrozenClock
) -> None:
    item_id = await _approved(world)
    before = await world.api.ok("GET", "/me/items", world.responsible)
    clock.set(clock.now + timedelta(hours=3))
    await world.api.ok("POST", f"/me/items/{item_id}/open", world.harmed)
    after = await world.api.ok("GET", "/me/items", world.responsible)
    assert before == after
    assert after["sent"][0]["state"] == "delivered"


async def test_with_receipts_on_the_writer_sees_opened(world: World) -> None:
    await world.api.ok(
        "PUT", "/me/preferences", world.harmed, {"read_receipts": True, "delivery_window": None}
    )
    item_id = await _approved(world)
    await world.api.ok("POST", f"/me/items/{item_id}/open", world.harmed)
    sent = (await world.api.ok("GET", "/me/items", world.responsible))["sent"]
    assert sent[0]["state"] == "opened"


async def test_read_receipts_are_off_by_default(world: World) -> None:
    prefs = await world.api.ok("GET", "/me/preferences", world.harmed)
    assert prefs == {"read_receipts": False, "delivery_window": None}


async def test_item_approved_outside_the_window_arrives_at_the_window_start(
    world: World, clock: FrozenClock
) -> None:
    await _weekdays_nine_to_five(world)
    relay = world.api.client.app[RELAY]
    clock.set(clock.now.replace(hour=19))  # Monday 19:00 London: outside
    first = await _approved(world, "First.")
    second = await _approved(world, "Second.")
    assert (await world.api.ok("GET", "/me/items", world.harmed))["received"] == []
    assert await release_all_due(relay) == []
    clock.set(clock.now + timedelta(hours=13, minutes=59))  # Tuesday 08:59
    assert await release_all_due(relay) == []
    clock.set(clock.now + timedelta(minutes=1))  # Tuesday 09:00: the window opens
    assert await release_all_due(relay) == [first, second]
    received = (await world.api.ok("GET", "/me/items", world.harmed))["received"]
    assert [entry["id"] for entry in received] == [first, second]
    assert {entry["delivered_on"] for entry in received} == {"2026-03-03"}
    rows = await relay.store.read(
        lambda tx: tx.rows("SELECT item_id, created_at FROM notifications ORDER BY created_at")
    )
    assert [row[0] for row in rows] == [first, second]
    assert all(row[1].startswith("2026-03-03T09:00") for row in rows)


async def test_an_approval_once_the_window_opens_delivers_held_items_first(
    world: World, clock: FrozenClock
) -> None:
    """The periodic release has not run yet: the held letter still goes before the new one."""
    await _weekdays_nine_to_five(world)
    relay = world.api.client.app[RELAY]
    clock.set(clock.now.replace(hour=19))  # Monday 19:00 London: outside
    held = await _approved(world, "Held overnight.")
    clock.set(clock.now + timedelta(hours=14))  # Tuesday 09:00: open
    fresh = await _approved(world, "Approved in the morning.")
    received = (await world.api.ok("GET", "/me/items", world.harmed))["received"]
    assert [entry["id"] for entry in received] == [held, fresh]
    events = await relay.store.read(
        lambda tx: tx.rows(
            "SELECT subject FROM audit_events WHERE action = 'item.delivered' ORDER BY seq"
        )
    )
    assert [row[0] for row in events] == [held, fresh]
    assert await release_all_due(relay) == []


async def test_weekend_is_outside_a_weekday_window(world: World, clock: FrozenClock) -> None:
    await _weekdays_nine_to_five(world)
    clock.set(clock.now + timedelta(days=5))  # Saturday 10:00
    item_id = await _approved(world)
    assert (await world.api.ok("GET", "/me/items", world.harmed))["received"] == []
    clock.set(clock.now + timedelta(days=2))  # Monday 10:00
    assert await release_all_due(world.api.client.app[RELAY]) == [item_id]


async def test_asking_the_practitioner_is_recorded(world: World) -> None:
    item_id = await _approved(world)
    view = await world.api.ok("POST", f"/me/items/{item_id}/ask-practitioner", world.harmed)
    assert view["help_requested"] is True and "text" not in view
    detail = await world.api.ok("GET", f"/items/{item_id}", world.specialist)
    assert "item.help_requested" in [event["action"] for event in detail["history"]]


async def test_participant_downloads_their_correspondence(world: World) -> None:
    mine = await world.api.ok(
        "POST", "/me/items", world.harmed, {"kind": "letter", "body": "My words."}, status=201
    )
    await world.api.ok(
        "POST",
        f"/items/{mine['id']}/decision",
        world.specialist,
        {"action": "approve", "version": 1},
    )
    theirs = await _approved(world, "Their words.")
    record = await world.api.ok("GET", "/me/correspondence", world.harmed)
    assert [entry["text"] for entry in record["sent"]] == ["My words."]
    assert record["received"] == []  # not opened yet: nothing is opened on their behalf
    await world.api.ok("POST", f"/me/items/{theirs}/open", world.harmed)
    record = await world.api.ok("GET", "/me/correspondence", world.harmed)
    assert [entry["text"] for entry in record["received"]] == ["Their words."]
