"""Authorization: a participant reaches only their own case and items; staff endpoints are 403."""

from __future__ import annotations

import pytest

from tests.conftest import Api, World, activate_party, add_party, open_gates


async def _second_case(world: World) -> tuple[str, str]:
    api = world.api
    case = await api.ok(
        "POST",
        "/cases",
        world.specialist,
        {"crime_reference": "CR/2/26", "modality": "letters", "risk_level": "standard"},
        status=201,
    )
    harmed = await add_party(api, world.specialist, case["id"], "harmed", "Robin")
    responsible = await add_party(api, world.specialist, case["id"], "responsible", "Kit")
    await open_gates(api, world.specialist, case["id"], harmed["id"], responsible["id"])
    await api.ok("POST", f"/cases/{case['id']}/activate", world.specialist)
    token, _ = await activate_party(api, responsible["invite_code"])
    item = await api.ok(
        "POST", "/me/items", token, {"kind": "letter", "body": "Other case."}, status=201
    )
    await api.ok(
        "POST",
        f"/items/{item['id']}/decision",
        world.specialist,
        {"action": "approve", "version": 1},
    )
    return token, str(item["id"])


async def test_participant_cannot_reach_another_cases_items(world: World) -> None:
    _, foreign_item = await _second_case(world)
    for method, suffix in (
        ("POST", "/open"),
        ("POST", "/decline"),
        ("POST", "/revise"),
        ("POST", "/ask-practitioner"),
    ):
        status, body = await world.api.call(
            method,
            f"/me/items/{foreign_item}{suffix}",
            world.harmed,
            json={"body": "x"} if suffix == "/revise" else None,
        )
        assert status == 404, suffix
        assert "Other case" not in str(body)
    items = await world.api.ok("GET", "/me/items", world.harmed)
    assert foreign_item not in str(items)


async def test_participant_cannot_open_an_item_addressed_to_the_other_side(world: World) -> None:
    letter = await world.api.ok(
        "POST", "/me/items", world.harmed, {"kind": "letter", "body": "From Alex."}, status=201
    )
    await world.api.ok(
        "POST",
        f"/items/{letter['id']}/decision",
        world.specialist,
        {"action": "approve", "version": 1},
    )
    # The author cannot "open" their own letter as if received, nor decline it.
    status, _ = await world.api.post(f"/me/items/{letter['id']}/open", world.harmed)
    assert status == 404
    # Before approval the recipient cannot see it at all.
    draft = await world.api.ok(
        "POST",
        "/me/items",
        world.harmed,
        {"kind": "letter", "body": "Not yet approved."},
        status=201,
    )
    status, body = await world.api.post(f"/me/items/{draft['id']}/open", world.responsible)
    assert status == 404
    assert "Not yet approved" not in str(body)


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/cases"),
        ("POST", "/cases"),
        ("GET", "/queue"),
        ("GET", "/items/{item}"),
        ("POST", "/items/{item}/decision"),
        ("POST", "/items/{item}/claim"),
        ("GET", "/cases/{case}"),
        ("GET", "/cases/{case}/audit"),
        ("POST", "/cases/{case}/activate"),
        ("POST", "/practitioners"),
    ],
)
async def test_participant_on_a_staff_endpoint_gets_403(
    world: World, method: str, path: str
) -> None:
    item = await world.api.ok(
        "POST", "/me/items", world.harmed, {"kind": "letter", "body": "Mine."}, status=201
    )
    target = path.format(item=item["id"], case=world.case_id)
    status, body = await world.api.call(method, target, world.harmed, json={})
    assert status == 403, body
    assert body["status"] == 403 and body["detail"]


async def test_staff_token_on_participant_endpoints_gets_403(world: World) -> None:
    for method, path in (("GET", "/me"), ("GET", "/me/items"), ("POST", "/me/withdraw")):
        status, _ = await world.api.call(method, path, world.specialist)
        assert status == 403


async def test_unknown_and_malformed_ids_are_404_with_problem_json(world: World) -> None:
    for path in (
        "/items/itm_0000000000000000",
        "/items/'; DROP TABLE items;--",
        "/cases/../../etc/passwd",
        "/cases/%00",
    ):
        status, body = await world.api.get(path, world.specialist)
        assert status == 404, path
        assert world.api.last_headers["Content-Type"].startswith("application/problem+json")
        assert body["status"] == 404


async def test_requests_without_a_valid_token_get_401(api: Api) -> None:
    for token in (None, "not-a-token"):
        status, body = await api.get("/me", token)
        assert status == 401
        assert body["title"]
    status, _ = await api.call("GET", "/queue", headers={"Authorization": "Basic abc"})
    assert status == 401
