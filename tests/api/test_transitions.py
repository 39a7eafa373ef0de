"""Every move the lifecycles forbid that a caller can ask for through the API answers 409 and
changes nothing.

The forbidden moves are enumerated, not picked: each (state, request) pair below that DESIGN.md
does not allow is tried. An item is brought to each state the way a practitioner or an author
would bring it there; a case likewise.
"""

from __future__ import annotations

from dataclasses import dataclass
from itertools import product
from typing import Any

import pytest

from tests.conftest import World, activate_party, add_party, open_gates, staff_login

NOTE = "Please take out the street name."
ITEM_REQUESTS = ("approve", "redact", "return", "reject", "countersign", "revise")
# The requests each item state allows (DESIGN: Items); every other pair is refused.
ITEM_ALLOWED = {
    "pending": {"approve", "redact", "return", "reject"},
    "countersign": {"countersign", "return", "reject"},
    "returned": {"revise"},
}
ITEM_STATES = ("pending", "countersign", "approved", "delivered", "returned", "rejected", "halted")
FORBIDDEN_ITEM_MOVES = [
    (state, request)
    for state, request in product(ITEM_STATES, ITEM_REQUESTS)
    if request not in ITEM_ALLOWED.get(state, set())
]

CASE_REQUESTS = ("activate", "pause", "close", "withdraw")
# intake -> active needs the gates too, so activating an intake case is not tried here
# (test_gates.py covers it); intake -> withdrawn and intake -> closed are allowed.
CASE_ALLOWED = {
    "intake": {"activate", "close", "withdraw"},
    "active": {"pause", "close", "withdraw"},
    "paused": {"activate", "close", "withdraw"},
}
CASE_STATUSES = ("intake", "active", "paused", "closed", "withdrawn")
FORBIDDEN_CASE_MOVES = [
    (status, request)
    for status, request in product(CASE_STATUSES, CASE_REQUESTS)
    if request not in CASE_ALLOWED.get(status, set())
]


@dataclass
class Scene:
    """An item in a known state, and who may act on it."""

    world: World
    item_id: str
    version: int
    author: str  # the author's token
    decider: str  # a specialist's token


async def _write(world: World, author: str) -> str:
    body = {"kind": "letter", "body": "I am sorry for what I did."}
    return str((await world.api.ok("POST", "/me/items", author, body, status=201))["id"])


async def _decide(world: World, token: str, item_id: str, version: int, action: str) -> Any:
    decision: dict[str, Any] = {"action": action, "version": version}
    if action in ("return", "reject"):
        decision["note"] = NOTE
    return await world.api.ok("POST", f"/items/{item_id}/decision", token, decision)


async def _countersign_scene(world: World) -> Scene:
    """A volunteer's approval on a high-risk case: the item awaits a specialist's countersign."""
    api, sam = world.api, world.specialist
    case = await api.ok(
        "POST",
        "/cases",
        sam,
        {"crime_reference": "CR/9/26", "modality": "letters", "risk_level": "high"},
        status=201,
    )
    harmed = await add_party(api, sam, case["id"], "harmed", "Robin")
    responsible = await add_party(api, sam, case["id"], "responsible", "Kit")
    await open_gates(api, sam, case["id"], harmed["id"], responsible["id"])
    await api.ok("POST", f"/cases/{case['id']}/assign", sam, {"practitioner": "val"})
    await api.ok("POST", f"/cases/{case['id']}/activate", sam)
    author, _ = await activate_party(api, responsible["invite_code"])
    item_id = await _write(world, author)
    decided = await _decide(world, await staff_login(api, "val"), item_id, 1, "approve")
    assert decided["state"] == "countersign"
    return Scene(world, item_id, 2, author, sam)


async def _scene(world: World, state: str) -> Scene:
    """An item of `world` brought to `state` through the API."""
    if state == "countersign":
        return await _countersign_scene(world)
    if state == "approved":  # approved while the case is paused: it waits
        await world.api.ok("POST", f"/cases/{world.case_id}/pause", world.specialist)
    item_id = await _write(world, world.responsible)
    action = {"approved": "approve", "delivered": "approve", "returned": "return"}.get(state)
    action = "reject" if state == "rejected" else action
    version = 1
    if action is not None:
        decided = await _decide(world, world.specialist, item_id, 1, action)
        assert decided["state"] == state
        version = 2
    if state == "halted":
        await world.api.ok("POST", "/me/withdraw", world.harmed)
    return Scene(world, item_id, version, world.responsible, world.specialist)


async def _attempt(scene: Scene, request: str) -> tuple[int, Any]:
    api = scene.world.api
    if request == "revise":
        body = {"body": "A gentler second draft."}
        return await api.post(f"/me/items/{scene.item_id}/revise", scene.author, body)
    decision: dict[str, Any] = {"action": request, "version": scene.version, "note": NOTE}
    if request == "redact":
        decision["redactions"] = [{"start": 0, "end": 1, "replacement": "[…]"}]
    return await api.post(f"/items/{scene.item_id}/decision", scene.decider, decision)


@pytest.mark.parametrize(
    ("state", "request_"), FORBIDDEN_ITEM_MOVES, ids=[f"{s}-{r}" for s, r in FORBIDDEN_ITEM_MOVES]
)
async def test_a_forbidden_item_move_answers_409_and_changes_nothing(
    world: World, state: str, request_: str
) -> None:
    scene = await _scene(world, state)
    status, problem = await _attempt(scene, request_)
    assert (status, problem["status"]) == (409, 409), problem
    assert problem["detail"]
    item = await world.api.ok("GET", f"/items/{scene.item_id}", world.specialist)
    assert (item["state"], item["version"]) == (state, scene.version)


@pytest.mark.parametrize(
    ("state", "request_", "detail"),
    [
        ("halted", "approve", "This process has ended; the item can no longer be decided."),
        ("delivered", "approve", "An item that is delivered cannot be approved."),
        ("rejected", "return", "An item that is rejected cannot be returned."),
        ("approved", "reject", "An item that is approved cannot be rejected."),
        ("countersign", "approve", "An item that is countersign cannot be approved."),
        ("pending", "countersign", "This item is not awaiting a countersignature."),
        ("pending", "revise", "Only a letter returned to you for changes can be revised."),
        ("halted", "revise", "This process has ended; nothing more can be sent."),
    ],
)
async def test_a_refused_item_move_says_why(
    world: World, state: str, request_: str, detail: str
) -> None:
    status, problem = await _attempt(await _scene(world, state), request_)
    assert (status, problem["detail"]) == (409, detail)


async def _case_in(world: World, status: str) -> str:
    """A case brought to `status` through the API (the world's own case unless intake)."""
    api, sam = world.api, world.specialist
    if status == "intake":
        body = {"crime_reference": "CR/5/26", "modality": "letters", "risk_level": "standard"}
        case = await api.ok("POST", "/cases", sam, body, status=201)
        await add_party(api, sam, case["id"], "harmed", "Robin")
        return str(case["id"])
    if status in ("paused", "closed"):
        request = {"paused": "pause", "closed": "close"}[status]
        await api.ok("POST", f"/cases/{world.case_id}/{request}", sam)
    if status == "withdrawn":
        await api.ok("POST", "/me/withdraw", world.harmed)
    return world.case_id


async def _ask(world: World, case_id: str, request: str) -> tuple[int, Any]:
    if request == "withdraw":
        detail = await world.api.ok("GET", f"/cases/{case_id}", world.specialist)
        principal = next(p["id"] for p in detail["participants"] if p["role"] != "supporter")
        path = f"/cases/{case_id}/participants/{principal}/withdraw"
        return await world.api.post(path, world.specialist)
    return await world.api.post(f"/cases/{case_id}/{request}", world.specialist)


@pytest.mark.parametrize(
    ("status", "request_"), FORBIDDEN_CASE_MOVES, ids=[f"{s}-{r}" for s, r in FORBIDDEN_CASE_MOVES]
)
async def test_a_forbidden_case_move_answers_409_and_changes_nothing(
    world: World, status: str, request_: str
) -> None:
    case_id = await _case_in(world, status)
    answer, problem = await _ask(world, case_id, request_)
    assert (answer, problem["status"]) == (409, 409), problem
    assert problem["detail"]
    case = await world.api.ok("GET", f"/cases/{case_id}", world.specialist)
    assert case["status"] == status


@pytest.mark.parametrize(
    ("status", "request_", "detail"),
    [
        ("active", "activate", "A case that is active cannot be activated."),
        ("intake", "pause", "Only an active case can be paused; this one is intake."),
        ("withdrawn", "withdraw", "The case is withdrawn; nothing more can be recorded."),
        ("closed", "close", "The case is closed; nothing more can be recorded."),
    ],
)
async def test_a_refused_case_move_says_why(
    world: World, status: str, request_: str, detail: str
) -> None:
    answer, problem = await _ask(world, await _case_in(world, status), request_)
    assert (answer, problem["detail"]) == (409, detail)


async def test_a_principal_cannot_withdraw_twice(world: World) -> None:
    await world.api.ok("POST", "/me/withdraw", world.harmed)
    status, problem = await world.api.post("/me/withdraw", world.harmed)
    ended = "The case is withdrawn; nothing more can be recorded."
    assert (status, problem["detail"]) == (409, ended)


async def _delivered(world: World) -> str:
    scene = await _scene(world, "delivered")
    return scene.item_id


async def test_a_declined_letter_cannot_then_be_opened(world: World) -> None:
    item_id = await _delivered(world)
    await world.api.ok("POST", f"/me/items/{item_id}/decline", world.harmed)
    status, problem = await world.api.post(f"/me/items/{item_id}/open", world.harmed)
    assert (status, problem["detail"]) == (409, "You chose not to receive this letter.")
    received = (await world.api.ok("GET", "/me/items", world.harmed))["received"]
    assert [(r["state"], "text" in r) for r in received] == [("declined", False)]


async def test_an_opened_letter_cannot_then_be_declined(world: World) -> None:
    item_id = await _delivered(world)
    await world.api.ok("POST", f"/me/items/{item_id}/open", world.harmed)
    status, problem = await world.api.post(f"/me/items/{item_id}/decline", world.harmed)
    assert (status, problem["detail"]) == (409, "This letter has already been opened.")
    received = (await world.api.ok("GET", "/me/items", world.harmed))["received"]
    assert [r["state"] for r in received] == ["opened"]


async def test_opening_or_declining_again_changes_nothing(world: World) -> None:
    opened, declined = await _delivered(world), await _delivered(world)
    for item_id, choice in ((opened, "open"), (declined, "decline")):
        first = await world.api.ok("POST", f"/me/items/{item_id}/{choice}", world.harmed)
        again = await world.api.ok("POST", f"/me/items/{item_id}/{choice}", world.harmed)
        assert again == first
