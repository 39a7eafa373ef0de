"""Non-negotiable 1: nothing reaches a party unless a practitioner approved that exact version."""

from __future__ import annotations

import asyncio

from tests.conftest import Api, World, staff_login


async def _write(world: World, text: str = "I want to say sorry.") -> str:
    body = await world.api.ok(
        "POST", "/me/items", world.responsible, {"kind": "letter", "body": text}, status=201
    )
    return str(body["id"])


async def _received(world: World) -> list[dict]:
    return (await world.api.ok("GET", "/me/items", world.harmed))["received"]


async def test_nothing_is_delivered_before_approval(world: World) -> None:
    await _write(world)
    assert await _received(world) == []
    queue = await world.api.ok("GET", "/queue", world.specialist)
    assert [item["state"] for item in queue["items"]] == ["pending"]


async def test_approval_on_a_stale_version_is_refused_and_delivers_nothing(world: World) -> None:
    item_id = await _write(world)
    status, body = await world.api.post(
        f"/items/{item_id}/decision", world.specialist, {"action": "approve", "version": 2}
    )
    assert status == 409
    assert body["current_version"] == 1
    assert await _received(world) == []


async def test_approved_item_waits_while_case_is_paused_and_arrives_on_resume(
    world: World,
) -> None:
    item_id = await _write(world)
    await world.api.ok("POST", f"/cases/{world.case_id}/pause", world.specialist)
    decided = await world.api.ok(
        "POST", f"/items/{item_id}/decision", world.specialist, {"action": "approve", "version": 1}
    )
    assert decided["state"] == "approved"
    assert await _received(world) == []
    me = await world.api.ok("GET", "/me", world.harmed)
    assert me["case"]["status"] == "on_hold"
    await world.api.ok("POST", f"/cases/{world.case_id}/activate", world.specialist)
    assert [entry["id"] for entry in await _received(world)] == [item_id]


async def test_withdrawal_halts_approved_items(world: World) -> None:
    item_id = await _write(world)
    await world.api.ok("POST", f"/cases/{world.case_id}/pause", world.specialist)
    await world.api.ok(
        "POST", f"/items/{item_id}/decision", world.specialist, {"action": "approve", "version": 1}
    )
    pending_id = await _write(world, "A second letter.")
    await world.api.ok("POST", "/me/withdraw", world.harmed)
    status, _ = await world.api.post(f"/cases/{world.case_id}/activate", world.specialist)
    assert status == 409
    assert await _received(world) == []
    detail = await world.api.ok("GET", f"/items/{item_id}", world.specialist)
    assert detail["state"] == "halted"
    status, _ = await world.api.post(
        f"/items/{pending_id}/decision", world.specialist, {"action": "approve", "version": 1}
    )
    assert status == 409
    sent = (await world.api.ok("GET", "/me/items", world.responsible))["sent"]
    assert {entry["state"] for entry in sent} == {"not_delivered"}


async def test_withdrawal_tells_the_other_side_only_that_it_ended(world: World) -> None:
    await world.api.ok("POST", "/me/withdraw", world.responsible)
    mine = await world.api.ok("GET", "/me", world.responsible)
    theirs = await world.api.ok("GET", "/me", world.harmed)
    assert mine["case"]["status"] == "withdrawn"
    assert theirs["case"]["status"] == "ended"
    status, _ = await world.api.post(
        "/me/items", world.harmed, {"kind": "letter", "body": "Hello?"}
    )
    assert status == 409
    status, _ = await world.api.put(
        "/me/preferences", world.harmed, {"read_receipts": True, "delivery_window": None}
    )
    assert status == 409


async def test_delivery_queues_one_content_free_notification(world: World) -> None:
    item_id = await _write(world)
    await world.api.ok(
        "POST", f"/items/{item_id}/decision", world.specialist, {"action": "approve", "version": 1}
    )
    rows = await _notifications(world.api)
    assert [(row[0], row[1]) for row in rows] == [(item_id, "queued")]


async def _notifications(api: Api) -> list[tuple[str, str]]:
    from relay.http import RELAY

    relay = api.client.app[RELAY]
    rows = await relay.store.read(lambda tx: tx.rows("SELECT item_id, state FROM notifications"))
    return [(row[0], row[1]) for row in rows]


async def test_withdrawal_drops_queued_notifications(world: World) -> None:
    item_id = await _write(world)
    await world.api.ok(
        "POST", f"/items/{item_id}/decision", world.specialist, {"action": "approve", "version": 1}
    )
    await world.api.ok("POST", "/me/withdraw", world.harmed)
    assert await _notifications(world.api) == [(item_id, "dropped")]
    # Reading what was already delivered still works after withdrawal.
    opened = await world.api.ok("POST", f"/me/items/{item_id}/open", world.harmed)
    assert opened["text"] == "I want to say sorry."


async def test_two_concurrent_decisions_exactly_one_wins(world: World) -> None:
    item_id = await _write(world)
    other = await staff_login(world.api, "sam")
    results = await asyncio.gather(
        world.api.post(
            f"/items/{item_id}/decision", world.specialist, {"action": "approve", "version": 1}
        ),
        world.api.post(
            f"/items/{item_id}/decision",
            other,
            {"action": "reject", "version": 1, "note": "Not now."},
        ),
    )
    assert sorted(status for status, _ in results) == [200, 409]
    detail = await world.api.ok("GET", f"/items/{item_id}", world.specialist)
    assert detail["version"] == 2


async def test_returned_letter_is_revised_and_then_approved(world: World) -> None:
    item_id = await _write(world, "First draft.")
    await world.api.ok(
        "POST",
        f"/items/{item_id}/decision",
        world.specialist,
        {"action": "return", "version": 1, "note": "Please leave out the second paragraph."},
    )
    sent = (await world.api.ok("GET", "/me/items", world.responsible))["sent"]
    assert sent[0]["state"] == "returned"
    assert sent[0]["note"] == "Please leave out the second paragraph."
    await world.api.ok(
        "POST", f"/me/items/{item_id}/revise", world.responsible, {"body": "Second draft."}
    )
    status, _ = await world.api.post(
        f"/items/{item_id}/decision", world.specialist, {"action": "approve", "version": 2}
    )
    assert status == 409  # the revision raised the version to 3
    await world.api.ok(
        "POST", f"/items/{item_id}/decision", world.specialist, {"action": "approve", "version": 3}
    )
    opened = await world.api.ok("POST", f"/me/items/{item_id}/open", world.harmed)
    assert opened["text"] == "Second draft."


async def test_rejected_letter_never_arrives_and_author_sees_the_note(world: World) -> None:
    item_id = await _write(world)
    await world.api.ok(
        "POST",
        f"/items/{item_id}/decision",
        world.specialist,
        {"action": "reject", "version": 1, "note": "This could cause harm."},
    )
    assert await _received(world) == []
    sent = (await world.api.ok("GET", "/me/items", world.responsible))["sent"]
    assert (sent[0]["state"], sent[0]["note"]) == ("rejected", "This could cause harm.")


async def test_return_without_a_note_is_refused(world: World) -> None:
    item_id = await _write(world)
    status, body = await world.api.post(
        f"/items/{item_id}/decision", world.specialist, {"action": "return", "version": 1}
    )
    assert status == 422
    assert "note" in body["detail"]


async def test_high_risk_volunteer_approval_needs_a_specialist_countersign(world: World) -> None:
    api = world.api
    case = await api.ok(
        "POST",
        "/cases",
        world.specialist,
        {"crime_reference": "CR/1/26", "modality": "letters", "risk_level": "high"},
        status=201,
    )
    from tests.conftest import activate_party, add_party, open_gates

    harmed = await add_party(api, world.specialist, case["id"], "harmed", "Robin")
    responsible = await add_party(api, world.specialist, case["id"], "responsible", "Kit")
    await open_gates(api, world.specialist, case["id"], harmed["id"], responsible["id"])
    await api.ok("POST", f"/cases/{case['id']}/assign", world.specialist, {"practitioner": "val"})
    await api.ok("POST", f"/cases/{case['id']}/activate", world.specialist)
    writer, _ = await activate_party(api, responsible["invite_code"])
    reader, _ = await activate_party(api, harmed["invite_code"])
    item = await api.ok("POST", "/me/items", writer, {"kind": "message", "body": "Hi."}, status=201)
    volunteer = await staff_login(api, "val")
    decided = await api.ok(
        "POST", f"/items/{item['id']}/decision", volunteer, {"action": "approve", "version": 1}
    )
    assert (decided["state"], decided["version"]) == ("countersign", 2)
    # The writer cannot tell that a countersignature is awaited (it would reveal the risk level).
    sent = (await api.ok("GET", "/me/items", writer))["sent"]
    assert sent == [
        {"id": item["id"], "kind": "message", "state": "pending", "text": "Hi.", "attachments": []}
    ]
    assert (await api.ok("GET", "/me/items", reader))["received"] == []
    status, _ = await api.post(
        f"/items/{item['id']}/decision", volunteer, {"action": "countersign", "version": 2}
    )
    assert status == 409
    signed = await api.ok(
        "POST",
        f"/items/{item['id']}/decision",
        world.specialist,
        {"action": "countersign", "version": 2},
    )
    assert (signed["state"], signed["version"]) == ("delivered", 3)
    assert len((await api.ok("GET", "/me/items", reader))["received"]) == 1
