"""Idempotency-Key: a repeat returns the first answer and creates nothing new."""

from __future__ import annotations

from relay.config import Config
from tests.api.test_bad_input import snapshot
from tests.conftest import World


async def test_repeated_write_returns_the_first_answer_and_creates_nothing(
    world: World, config: Config
) -> None:
    headers = {"Idempotency-Key": "letter-1"}
    payload = {"kind": "letter", "body": "Only once."}
    first = await world.api.call(
        "POST", "/me/items", world.responsible, json=payload, headers=headers
    )
    before = snapshot(config.db_path)
    again = await world.api.call(
        "POST", "/me/items", world.responsible, json=payload, headers=headers
    )
    assert first == again
    assert first[0] == 201
    assert world.api.last_headers.get("Idempotent-Replayed") == "true"
    assert snapshot(config.db_path) == before
    sent = (await world.api.ok("GET", "/me/items", world.responsible))["sent"]
    assert len(sent) == 1


async def test_keys_are_per_principal(world: World) -> None:
    headers = {"Idempotency-Key": "same-key"}
    a = await world.api.call(
        "POST",
        "/me/items",
        world.responsible,
        json={"kind": "letter", "body": "From one."},
        headers=headers,
    )
    b = await world.api.call(
        "POST",
        "/me/items",
        world.harmed,
        json={"kind": "letter", "body": "From the other."},
        headers=headers,
    )
    assert a[0] == b[0] == 201
    assert a[1]["id"] != b[1]["id"]


async def test_a_repeated_decision_is_not_applied_twice(world: World) -> None:
    item = await world.api.ok(
        "POST", "/me/items", world.responsible, {"kind": "letter", "body": "Hi."}, status=201
    )
    headers = {"Idempotency-Key": "decide-1"}
    payload = {"action": "approve", "version": 1}
    first = await world.api.call(
        "POST", f"/items/{item['id']}/decision", world.specialist, json=payload, headers=headers
    )
    second = await world.api.call(
        "POST", f"/items/{item['id']}/decision", world.specialist, json=payload, headers=headers
    )
    assert first == second == (200, {"id": item["id"], "state": "delivered", "version": 2})


async def test_an_error_answer_is_replayed_too(world: World) -> None:
    headers = {"Idempotency-Key": "bad-1"}
    first = await world.api.call(
        "POST", "/me/items", world.responsible, json={"kind": "letter"}, headers=headers
    )
    second = await world.api.call(
        "POST",
        "/me/items",
        world.responsible,
        json={"kind": "letter", "body": "now valid"},
        headers=headers,
    )
    assert first == second
    assert first[0] == 422


async def test_reusing_a_key_for_another_endpoint_is_refused(world: World) -> None:
    headers = {"Idempotency-Key": "k"}
    await world.api.call(
        "POST",
        "/me/items",
        world.responsible,
        json={"kind": "letter", "body": "x"},
        headers=headers,
    )
    status, body = await world.api.call(
        "PUT",
        "/me/preferences",
        world.responsible,
        json={"read_receipts": True, "delivery_window": None},
        headers=headers,
    )
    assert status == 422
    assert "Idempotency-Key" in body["detail"]
