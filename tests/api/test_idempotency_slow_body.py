"""Idempotency-Key without a transaction around the handler.

A client that sends a key and then trickles its body holds no lock: everyone else's writes go on.
Requests racing with one key do the work once; a key whose answer was lost answers 409.
"""

from __future__ import annotations

import asyncio
import json
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient

from relay.api.problem import Handler
from relay.app import create_app
from relay.config import Config
from relay.domain.hub import stamp
from relay.domain.sessions import add_practitioner
from relay.http import RELAY
from relay.storage import idempotency
from tests.conftest import PASSWORD, World

SLOW_KEY = "slow-body"
LETTER = {"kind": "letter", "body": "Sent slowly."}
REACHED = web.AppKey("reached", asyncio.Event)


@pytest.fixture
async def client(aiohttp_client: Any, config: Config) -> TestClient:
    """The app, with a note of when a slow keyed request reaches its handler (which then reads
    the body): the moment the old design held the writer."""
    app = create_app(config)
    reached = asyncio.Event()

    @web.middleware
    async def note(request: web.Request, handler: Handler) -> web.StreamResponse:
        if request.headers.get("Idempotency-Key") == SLOW_KEY:
            reached.set()
        return await handler(request)

    app.middlewares.append(note)  # innermost: after the key's check, before the body is read
    app[REACHED] = reached
    test_client: TestClient = await aiohttp_client(app)
    await add_practitioner(
        app[RELAY], None, username="sam", password=PASSWORD, role="specialist", display_name="S"
    )
    return test_client


async def test_a_client_trickling_its_body_stalls_no_one_elses_write(world: World) -> None:
    client = world.api.client
    body = json.dumps(LETTER).encode()
    server = client.server
    reader, writer = await asyncio.open_connection(server.host, server.port)
    try:
        writer.write(
            b"POST /api/v1/me/items HTTP/1.1\r\nHost: relay\r\n"
            + f"Authorization: Bearer {world.responsible}\r\n".encode()
            + f"Idempotency-Key: {SLOW_KEY}\r\nContent-Type: application/json\r\n".encode()
            + f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n".encode()
            + body[:5]
        )
        await writer.drain()
        await asyncio.wait_for(client.app[REACHED].wait(), timeout=10)

        # Meanwhile: a sign-in and another participant's letter are written.
        login = world.api.post("/login", json={"username": "sam", "password": PASSWORD})
        status, _ = await asyncio.wait_for(login, timeout=10)
        assert status == 200
        letter = world.api.post("/me/items", world.harmed, {"kind": "letter", "body": "Hi."})
        status, _ = await asyncio.wait_for(letter, timeout=10)
        assert status == 201

        writer.write(body[5:])
        await writer.drain()
        answer = await asyncio.wait_for(reader.read(), timeout=10)
    finally:
        writer.close()
        await writer.wait_closed()
    assert answer.startswith(b"HTTP/1.1 201"), answer
    sent = (await world.api.ok("GET", "/me/items", world.responsible))["sent"]
    assert [entry["text"] for entry in sent] == [LETTER["body"]]


async def _post(client: TestClient, token: str, key: str) -> tuple[int, Any, bool]:
    response = await client.post(
        "/api/v1/me/items",
        json=LETTER,
        headers={"Authorization": f"Bearer {token}", "Idempotency-Key": key},
    )
    body = await response.json(content_type=None)
    return response.status, body, response.headers.get("Idempotent-Replayed") == "true"


async def test_requests_racing_with_one_key_write_once(world: World) -> None:
    client = world.api.client
    answers = await asyncio.gather(*(_post(client, world.responsible, "race") for _ in range(5)))
    fresh = [(status, body) for status, body, replayed in answers if not replayed]
    created = [body for status, body in fresh if status == 201]
    assert len(created) == 1, answers
    for status, body, replayed in answers:
        if replayed:
            assert (status, body) == (201, created[0])
        elif status != 201:
            assert status == 409, body
            assert body["detail"] == idempotency.IN_PROGRESS_DETAIL
    sent = (await world.api.ok("GET", "/me/items", world.responsible))["sent"]
    assert [entry["id"] for entry in sent] == [created[0]["id"]]

    # A repeat afterwards gets the first answer.
    assert await _post(client, world.responsible, "race") == (201, created[0], True)


async def test_a_key_whose_answer_was_lost_answers_409_and_writes_nothing(world: World) -> None:
    relay = world.api.client.app[RELAY]
    now = relay.now()
    lost = idempotency.Pending(
        principal=f"party:{world.responsible_id}",
        key="lost",
        fingerprint="POST /api/v1/me/items",
        at=stamp(now),
        cutoff="",
    )
    # What a crash leaves behind: the reservation, committed with the work, and no answer.
    await relay.store.write(lambda tx: idempotency.store(tx, lost, idempotency.IN_PROGRESS, b""))
    status, body, replayed = await _post(world.api.client, world.responsible, "lost")
    assert (status, replayed) == (409, False)
    assert body["detail"] == idempotency.IN_PROGRESS_DETAIL
    assert (await world.api.ok("GET", "/me/items", world.responsible))["sent"] == []
