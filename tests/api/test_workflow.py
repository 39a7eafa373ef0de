"""The practitioners' shared queue and daily workflow."""

from __future__ import annotations

from datetime import timedelta

from relay.clock import FrozenClock
from tests.conftest import VAULTS, World, activate_party, add_party, staff_login


async def _pending(world: World, text: str = "Hello.") -> str:
    item = await world.api.ok(
        "POST", "/me/items", world.responsible, {"kind": "letter", "body": text}, status=201
    )
    return str(item["id"])


async def test_a_claimed_item_cannot_be_decided_by_another_volunteer(world: World) -> None:
    await world.api.ok(
        "POST", f"/cases/{world.case_id}/assign", world.specialist, {"practitioner": "val"}
    )
    await world.api.ok(
        "POST", f"/cases/{world.case_id}/assign", world.specialist, {"practitioner": "vic"}
    )
    item_id = await _pending(world)
    val, vic = await staff_login(world.api, "val"), await staff_login(world.api, "vic")
    claim = await world.api.ok("POST", f"/items/{item_id}/claim", val)
    assert claim["claimed_by"] == "val"
    queue = await world.api.ok("GET", "/queue", vic)
    assert queue["items"][0]["claimed_by"] is not None
    status, body = await world.api.post(
        f"/items/{item_id}/decision", vic, {"action": "approve", "version": 1}
    )
    assert status == 409 and body["claimed"] is True
    status, _ = await world.api.post(f"/items/{item_id}/claim", vic)
    assert status == 409


async def test_a_specialist_takes_over_a_claim_and_it_is_audited(world: World) -> None:
    await world.api.ok(
        "POST", f"/cases/{world.case_id}/assign", world.specialist, {"practitioner": "val"}
    )
    item_id = await _pending(world)
    val = await staff_login(world.api, "val")
    await world.api.ok("POST", f"/items/{item_id}/claim", val)
    await world.api.ok(
        "POST", f"/items/{item_id}/decision", world.specialist, {"action": "approve", "version": 1}
    )
    audit = await world.api.ok("GET", f"/cases/{world.case_id}/audit", world.specialist)
    decision = next(e for e in audit["events"] if e["action"] == "item.approve")
    assert decision["actor"] == "staff:sam"
    assert decision["details"]["takeover_from"] is not None


async def test_a_claim_expires(world: World, clock: FrozenClock) -> None:
    await world.api.ok(
        "POST", f"/cases/{world.case_id}/assign", world.specialist, {"practitioner": "val"}
    )
    await world.api.ok(
        "POST", f"/cases/{world.case_id}/assign", world.specialist, {"practitioner": "vic"}
    )
    item_id = await _pending(world)
    val, vic = await staff_login(world.api, "val"), await staff_login(world.api, "vic")
    await world.api.ok("POST", f"/items/{item_id}/claim", val)
    clock.set(clock.now + timedelta(minutes=21))
    await world.api.ok(
        "POST", f"/items/{item_id}/decision", vic, {"action": "approve", "version": 1}
    )


async def test_an_unclaimed_item_can_be_decided(world: World) -> None:
    item_id = await _pending(world)
    decided = await world.api.ok(
        "POST", f"/items/{item_id}/decision", world.specialist, {"action": "approve", "version": 1}
    )
    assert decided["state"] == "delivered"


async def test_queue_is_oldest_first_with_waiting_time(world: World, clock: FrozenClock) -> None:
    first = await _pending(world, "one")
    clock.set(clock.now + timedelta(minutes=5))
    second = await _pending(world, "two")
    queue = await world.api.ok("GET", "/queue", world.specialist)
    assert [item["id"] for item in queue["items"]] == [first, second]
    assert queue["items"][0]["waiting_since"] < queue["items"][1]["waiting_since"]


async def test_saved_reasons_are_edited_by_the_specialist_only(world: World) -> None:
    reasons = {
        "reasons": [
            {
                "purpose": "return",
                "text": "Please remove anything that could identify where you live.",
            },
            {"purpose": "reject", "text": "This letter could cause further harm."},
        ]
    }
    saved = await world.api.ok("PUT", "/reasons", world.specialist, reasons)
    assert [r["purpose"] for r in saved["reasons"]] == ["reject", "return"]
    volunteer = await staff_login(world.api, "val")
    status, _ = await world.api.put("/reasons", volunteer, reasons)
    assert status == 403
    listed = await world.api.ok("GET", "/reasons", volunteer)
    assert len(listed["reasons"]) == 2


async def test_thread_shows_both_directions_in_order(world: World) -> None:
    first = await _pending(world, "From the responsible side.")
    await world.api.ok(
        "POST",
        f"/items/{first}/decision",
        world.specialist,
        {"action": "redact", "version": 1, "redactions": [{"start": 0, "end": 4}]},
    )
    reply = await world.api.ok(
        "POST", "/me/items", world.harmed, {"kind": "message", "body": "A reply."}, status=201
    )
    thread = await world.api.ok("GET", f"/cases/{world.case_id}/thread", world.specialist)
    assert [entry["id"] for entry in thread["items"]] == [first, reply["id"]]
    one = thread["items"][0]
    assert one["original"] == "From the responsible side."
    assert one["delivered_text"] == "[removed] the responsible side."
    assert (one["from"]["alias"], one["to"]["alias"]) == ("Sam R", "Alex")
    assert [e["action"] for e in one["events"]][:2] == ["item.written", "item.redact"]


async def test_meeting_record_refuses_a_participants_address(world: World) -> None:
    for pid in (world.harmed_id, world.responsible_id):
        await world.api.ok(
            "POST",
            f"/cases/{world.case_id}/participants/{pid}/meet-consent",
            world.specialist,
            {"given": True},
        )
    meeting = {
        "starts_at": "2026-04-14T10:30",
        "attendees": [world.harmed_id, world.responsible_id],
        "practitioners": ["sam"],
    }
    for venue in (
        VAULTS["harmed"]["address"],
        "at 14 mill road, please",
        "Flat 3, 22 Histon Avenue",
    ):
        status, body = await world.api.put(
            f"/cases/{world.case_id}/meeting", world.specialist, {**meeting, "venue": venue}
        )
        assert status == 422, venue
        assert "venue" in body["detail"]
    saved = await world.api.ok(
        "PUT",
        f"/cases/{world.case_id}/meeting",
        world.specialist,
        {**meeting, "venue": "Histon Road Community Centre, Room 2"},
    )
    assert saved["meeting"]["venue"] == "Histon Road Community Centre, Room 2"
    text = str(saved)
    for vault in VAULTS.values():
        for value in vault.values():
            assert value not in text


async def test_meeting_needs_both_principals_consent_to_meet(world: World) -> None:
    await world.api.ok(
        "POST",
        f"/cases/{world.case_id}/participants/{world.harmed_id}/meet-consent",
        world.specialist,
        {"given": True},
    )
    status, _ = await world.api.put(
        f"/cases/{world.case_id}/meeting",
        world.specialist,
        {
            "starts_at": "2026-04-14T10:30",
            "venue": "Hub room",
            "attendees": [world.harmed_id],
        },
    )
    assert status == 409


async def test_preparation_checklist_per_participant(world: World) -> None:
    view = await world.api.ok(
        "POST",
        f"/cases/{world.case_id}/participants/{world.harmed_id}/preparation",
        world.specialist,
        {"step": "first_meeting", "done_on": "2026-03-01"},
    )
    harmed = next(p for p in view["participants"] if p["id"] == world.harmed_id)
    assert harmed["preparation"][0] == {"step": "first_meeting", "done_on": "2026-03-01"}
    assert all(step["done_on"] is None for step in harmed["preparation"][1:])


async def test_the_median_time_to_delivery_takes_the_middle_two_of_an_even_count(
    world: World, clock: FrozenClock
) -> None:
    for hours in (1, 9, 3, 4):  # written now, approved (and delivered) `hours` later
        item_id = await _pending(world)
        clock.set(clock.now + timedelta(hours=hours))
        await world.api.ok(
            "POST",
            f"/items/{item_id}/decision",
            world.specialist,
            {"action": "approve", "version": 1},
        )
    report = await world.api.ok("GET", "/reports", world.specialist)
    assert report["delivered_items"] == 4
    assert report["median_hours_to_delivery"] == 3.5  # the middle of 1, 3, 4, 9
    item_id = await _pending(world)
    clock.set(clock.now + timedelta(minutes=30))
    await world.api.ok(
        "POST", f"/items/{item_id}/decision", world.specialist, {"action": "approve", "version": 1}
    )
    report = await world.api.ok("GET", "/reports", world.specialist)
    assert report["median_hours_to_delivery"] == 3.0  # 0.5, 1, 3, 4, 9


async def test_closing_records_outcomes_for_reporting(world: World, clock: FrozenClock) -> None:
    item_id = await _pending(world)
    clock.set(clock.now + timedelta(hours=2))
    await world.api.ok(
        "POST", f"/items/{item_id}/decision", world.specialist, {"action": "approve", "version": 1}
    )
    status, _ = await world.api.post(
        f"/cases/{world.case_id}/close", world.specialist, {"outcomes": ["agreement"]}
    )
    assert status == 422
    await world.api.ok(
        "POST",
        f"/cases/{world.case_id}/close",
        world.specialist,
        {"outcomes": ["apology_given", "agreement"], "agreement_terms": "Repair the fence by May."},
    )
    report = await world.api.ok("GET", "/reports", world.specialist)
    assert report["outcomes"]["apology_given"] == 1
    assert report["outcomes"]["agreement"] == 1
    assert report["median_hours_to_delivery"] == 2.0
    volunteer = await staff_login(world.api, "val")
    status, _ = await world.api.get("/reports", volunteer)
    assert status == 403


async def test_close_without_a_body_still_works(world: World) -> None:
    await world.api.ok("POST", f"/cases/{world.case_id}/close", world.specialist)


async def test_supporter_is_in_the_meeting_by_id_only(world: World) -> None:
    supporter = await add_party(
        world.api, world.specialist, world.case_id, "supporter", "Jo", supports=world.harmed_id
    )
    await activate_party(world.api, supporter["invite_code"])
    for pid in (world.harmed_id, world.responsible_id):
        await world.api.ok(
            "POST",
            f"/cases/{world.case_id}/participants/{pid}/meet-consent",
            world.specialist,
            {"given": True},
        )
    saved = await world.api.ok(
        "PUT",
        f"/cases/{world.case_id}/meeting",
        world.specialist,
        {
            "starts_at": "2026-04-14T10:30",
            "venue": "Hub room 1",
            "attendees": [world.harmed_id, world.responsible_id, supporter["id"]],
        },
    )
    assert saved["meeting"]["attendees"][-1] == supporter["id"]
