"""Abuse: guessing passwords, hostile bodies and headers, stolen or planted tokens, odd ids.

Complements tests/api (test_sessions, test_bad_input, test_access) without repeating them.
"""

from __future__ import annotations

import asyncio
import dataclasses
import secrets
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from aiohttp.test_utils import TestClient

from relay.app import create_app
from relay.config import Config
from relay.domain.hub import Relay
from relay.domain.sessions import add_practitioner, authenticate, change_password
from relay.http import RELAY
from relay.storage import Tx
from tests.api.test_bad_input import snapshot
from tests.conftest import PASSPHRASE, PASSWORD, Api, World

# Sign-in guessing -----------------------------------------------------------------------------


async def test_parallel_guesses_are_all_counted_and_lock_the_account(api: Api) -> None:
    """Guesses sent at once all pass the first lock check; each must still be counted."""
    wrong = {"username": "val", "password": "not the password"}
    answers = await asyncio.gather(*(api.post("/login", json=wrong) for _ in range(20)))
    assert {status for status, _ in answers} <= {401, 429}
    status, _ = await api.post("/login", json={"username": "val", "password": PASSWORD})
    assert status == 429


async def test_a_right_password_racing_wrong_ones_past_the_limit_gets_no_session(
    api: Api, config: Config
) -> None:
    wrong = {"username": "val", "password": "not the password"}
    for _ in range(config.login_lock_after - 1):
        assert (await api.post("/login", json=wrong))[0] == 401
    answers = await asyncio.gather(
        *(api.post("/login", json=wrong) for _ in range(6)),
        api.post("/login", json={"username": "val", "password": PASSWORD}),
    )
    tokens = [body["token"] for status, body in answers if status == 200]
    # Either the right password got in before the lock (then fewer than 8 failures had been
    # counted) or it was refused like any locked attempt; afterwards the account is locked.
    assert len(tokens) <= 1
    assert (await api.post("/login", json={"username": "val", "password": PASSWORD}))[0] == 429


async def test_a_participant_login_handle_locks_on_its_own(world: World, config: Config) -> None:
    api = world.api
    wrong = {"login": world.logins["harmed"], "passphrase": "not the passphrase"}
    for _ in range(config.login_lock_after):
        assert (await api.post("/party/login", json=wrong))[0] == 401
    right = {"login": world.logins["harmed"], "passphrase": PASSPHRASE}
    status, body = await api.post("/party/login", json=right)
    assert status == 429
    assert int(api.last_headers["Retry-After"]) > 0
    assert body["detail"] == "Too many failed sign-ins. Wait a while, then try again."
    # Another handle, and the sessions already open, are untouched.
    other = {"login": world.logins["responsible"], "passphrase": PASSPHRASE}
    assert (await api.post("/party/login", json=other))[0] == 200
    assert (await api.get("/me", world.harmed))[0] == 200


@pytest.mark.parametrize(
    ("path", "field", "known"),
    [("/login", "username", "val"), ("/party/login", "login", None)],
)
async def test_answers_do_not_tell_whether_the_account_exists(
    world: World, config: Config, path: str, field: str, known: str | None
) -> None:
    secret = "password" if path == "/login" else "passphrase"
    existing = known or world.logins["responsible"]
    missing = "val-nobody" if path == "/login" else "rj-nobody00"

    async def attempts(name: str) -> list[tuple[int, str, str | None]]:
        seen = []
        for _ in range(config.login_lock_after + 2):
            status, body = await world.api.post(path, json={field: name, secret: "wrong guess"})
            seen.append((status, body["detail"], world.api.last_headers.get("Retry-After")))
        return seen

    assert await attempts(existing) == await attempts(missing)


DELAY = 0.4


@pytest.fixture
async def slowed(aiohttp_client: Any, config: Config) -> AsyncIterator[Api]:
    app = create_app(dataclasses.replace(config, login_delay_seconds=DELAY))
    client: TestClient = await aiohttp_client(app)
    await add_practitioner(
        app[RELAY], None, username="sam", password=PASSWORD, role="specialist", display_name="S"
    )
    yield Api(client)


async def test_failures_past_the_first_few_are_slowed(slowed: Api, config: Config) -> None:
    timings = []
    for _ in range(config.login_slow_after + 1):
        began = time.monotonic()
        status, _ = await slowed.post("/login", json={"username": "sam", "password": "guess"})
        timings.append(time.monotonic() - began)
        assert status == 401
    # The first failures answer at once (a cheap hash, well under the delay), later ones wait.
    assert timings[0] < DELAY
    assert all(t >= DELAY for t in timings[config.login_slow_after - 1 :])


# Hostile bodies and headers -------------------------------------------------------------------

JSON = {"Content-Type": "application/json"}
HOSTILE_BODIES = [
    # (what, raw body, headers, status)
    ("5000-digit number", b'{"kind": "letter", "body": "x", "n": ' + b"9" * 5000 + b"}", JSON, 422),
    ("40-digit number", b'{"kind": "letter", "body": ' + b"1" * 40 + b"}", JSON, 422),
    ("1e999 where a string goes", b'{"kind": "letter", "body": 1e999}', JSON, 422),
    ("NaN", b'{"kind": "letter", "body": NaN}', JSON, 400),
    ("Infinity", b'{"kind": "letter", "body": "x", "extra": Infinity}', JSON, 400),
    ("-Infinity", b'{"kind": "letter", "body": -Infinity}', JSON, 400),
    ("duplicate key", b'{"kind": "letter", "body": "x", "kind": "message"}', JSON, 422),
    ("duplicate nested key", b'{"kind": "letter", "body": "x", "y": {"a": 1, "a": 2}}', JSON, 422),
    ("lone high surrogate", b'{"kind": "letter", "body": "hi \\ud800"}', JSON, 400),
    ("lone low surrogate", b'{"kind": "letter", "body": "\\udfff"}', JSON, 400),
    ("surrogate in a key", b'{"kind": "letter", "body": "x", "\\udc00": 1}', JSON, 400),
    ("overlong UTF-8", b'{"kind": "letter", "body": "\xc0\xaf"}', JSON, 400),
    ("UTF-8 BOM", b'\xef\xbb\xbf{"kind": "letter", "body": "x"}', JSON, 400),
    ("120k nested arrays", b'{"a": ' + b"[" * 120_000 + b"]" * 120_000 + b"}", JSON, 400),
    ("deep arrays", b'{"kind": "letter", "body": "x", "a": ' + b"[" * 5000 + b"]" * 5000 + b"}",
     JSON, 400),
    ("a string body", b'"just a string"', JSON, 422),
    ("text/plain", b'{"kind": "letter", "body": "x"}', {"Content-Type": "text/plain"}, 415),
    ("a form", b"kind=letter&body=x", {"Content-Type": "application/x-www-form-urlencoded"}, 415),
    ("no Content-Type", b'{"kind": "letter", "body": "x"}', {}, 415),
    ("multipart", b"--b\r\n\r\n{}\r\n--b--", {"Content-Type": "multipart/form-data; boundary=b"},
     415),
]  # fmt: skip


@pytest.mark.parametrize(
    ("raw", "headers", "expected"),
    [pytest.param(raw, headers, status, id=what) for what, raw, headers, status in HOSTILE_BODIES],
)
async def test_hostile_bodies_are_refused_clearly_and_change_nothing(
    world: World, config: Config, raw: bytes, headers: dict[str, str], expected: int
) -> None:
    before = snapshot(config.db_path)
    response = await world.api.client.post(
        "/api/v1/me/items",
        data=raw,
        headers={"Authorization": f"Bearer {world.responsible}", **headers},
        skip_auto_headers=["Content-Type"],
    )
    body = await response.json(content_type=None)
    assert response.status == expected, body
    assert response.content_type == "application/problem+json"
    assert body["status"] == expected and body["title"] and body["detail"]
    assert snapshot(config.db_path) == before


async def test_a_json_media_type_with_a_suffix_or_charset_is_accepted(world: World) -> None:
    for content_type in ("application/json; charset=utf-8", "application/merge-patch+json"):
        status, _ = await world.api.call(
            "POST",
            "/me/items",
            world.responsible,
            data=b'{"kind": "letter", "body": "Typed."}',
            headers={"Content-Type": content_type},
        )
        assert status == 201, content_type


async def test_a_lone_surrogate_in_a_redaction_is_refused(world: World, config: Config) -> None:
    item = await world.api.ok(
        "POST", "/me/items", world.responsible, {"kind": "letter", "body": "Hello."}, status=201
    )
    before = snapshot(config.db_path)
    raw = (
        b'{"action": "redact", "version": 1, '
        b'"redactions": [{"start": 0, "end": 2, "replacement": "\\udfff"}]}'
    )
    status, body = await world.api.call(
        "POST", f"/items/{item['id']}/decision", world.specialist, data=raw, headers=JSON
    )
    assert status == 400, body
    assert snapshot(config.db_path) == before


async def test_a_chunked_body_over_the_limit_is_413(world: World) -> None:
    async def chunks() -> AsyncIterator[bytes]:
        yield b'{"kind": "letter", "body": "'
        for _ in range(40):
            yield b"a" * 8192
        yield b'"}'

    response = await world.api.client.post(
        "/api/v1/me/items",
        data=chunks(),
        headers={"Authorization": f"Bearer {world.responsible}", **JSON},
    )
    assert response.status == 413
    assert (await response.json(content_type=None))["status"] == 413


@pytest.mark.parametrize("path", ["/login", "/party/login", "/party/activate"])
async def test_oversized_bodies_are_413_before_anyone_signs_in(api: Api, path: str) -> None:
    raw = b'{"username": "' + b"a" * (300 * 1024) + b'"}'
    status, body = await api.call("POST", path, data=raw, headers=JSON)
    assert status == 413, body
    assert api.last_headers["Content-Type"].startswith("application/problem+json")


async def raw_request(world: World, head: bytes) -> tuple[int, bytes]:
    """Send bytes no well-behaved client would, and read the status line and body."""
    server = world.api.client.server
    reader, writer = await asyncio.open_connection(server.host, server.port)
    writer.write(head + b"Host: relay\r\nConnection: close\r\n\r\n")
    await writer.drain()
    data = await reader.read()
    writer.close()
    await writer.wait_closed()
    status_line, _, rest = data.partition(b"\r\n")
    return int(status_line.split()[1]), rest.partition(b"\r\n\r\n")[2]


@pytest.mark.parametrize(
    "token",
    [b"\xff\xfe", b"\xed\xa0\x80", "caf\u00e9".encode(), b"abc\x7f", b"a" * 4000],
    ids=["latin-1 bytes", "utf-8 surrogate", "non-ascii", "DEL", "4000 chars"],
)
async def test_a_garbled_bearer_token_is_refused_not_500(world: World, token: bytes) -> None:
    status, body = await raw_request(
        world, b"GET /api/v1/cases HTTP/1.1\r\nAuthorization: Bearer " + token + b"\r\n"
    )
    assert status in (400, 401), body  # 400: aiohttp's parser refuses control bytes first


# Sessions: fixation, logout, password change ---------------------------------------------------


async def test_a_token_chosen_by_the_client_is_never_accepted(world: World) -> None:
    planted = secrets.token_urlsafe(32)  # looks exactly like ours
    for method, path in (("GET", "/cases"), ("GET", "/me"), ("POST", "/logout")):
        status, body = await world.api.call(method, path, planted)
        assert status == 401, path
        assert world.api.last_headers["WWW-Authenticate"].startswith("Bearer")
    # Signing in while presenting it does not adopt it either: a bad token is refused at once.
    status, _ = await world.api.post(
        "/login", planted, json={"username": "sam", "password": PASSWORD}
    )
    assert status == 401
    status, body = await world.api.post("/login", json={"username": "sam", "password": PASSWORD})
    assert status == 200 and body["token"] != planted
    assert (await world.api.get("/cases", planted))[0] == 401


def _dump(tx: Tx) -> str:
    """Every value in every table, as text (SQLite or PostgreSQL)."""
    if tx.dialect == "sqlite":
        tables = tx.rows("SELECT name FROM sqlite_master WHERE type = 'table'")
    else:
        tables = tx.rows("SELECT tablename FROM pg_tables WHERE schemaname = current_schema()")
    return "\n".join(
        repr([row[n] for n in range(len(row.keys()))])
        for table in tables
        for row in tx.rows(f'SELECT * FROM "{table[0]}"')
    )


async def everything_stored(relay: Relay) -> str:
    return await relay.store.read(_dump)


async def test_every_sign_in_mints_a_new_token_and_stores_only_its_hash(world: World) -> None:
    seen = {world.specialist, world.harmed, world.responsible}
    for _ in range(3):
        staff = await world.api.ok(
            "POST", "/login", world.specialist, {"username": "sam", "password": PASSWORD}
        )
        party = await world.api.ok(
            "POST", "/party/login", json={"login": world.logins["harmed"], "passphrase": PASSPHRASE}
        )
        assert staff["token"] not in seen and party["token"] not in seen
        seen |= {staff["token"], party["token"]}
    dump = await everything_stored(world.api.client.app[RELAY])
    assert not [token for token in seen if token in dump]


async def test_logout_ends_only_that_session_and_for_good(world: World) -> None:
    other = await world.staff_token("sam")
    assert (await world.api.post("/logout", world.specialist))[0] == 204
    for method, path in (("GET", "/cases"), ("GET", "/queue"), ("POST", "/logout")):
        assert (await world.api.call(method, path, world.specialist))[0] == 401, path
    assert (await world.api.get("/cases", other))[0] == 200
    second = await world.api.ok(
        "POST", "/party/login", json={"login": world.logins["harmed"], "passphrase": PASSPHRASE}
    )
    assert (await world.api.post("/logout", world.harmed))[0] == 204
    assert (await world.api.get("/me/items", world.harmed))[0] == 401
    assert (await world.api.get("/me/items", second["token"]))[0] == 200


async def test_a_password_change_ends_all_of_that_persons_sessions_only(world: World) -> None:
    relay = world.api.client.app[RELAY]
    tokens = [world.specialist, await world.staff_token("sam"), await world.staff_token("sam")]
    bystander = await world.staff_token("val")
    actor, _ = await authenticate(relay, tokens[1])
    await change_password(relay, actor, PASSWORD, "a brand new password")
    for token in tokens:
        assert (await world.api.get("/cases", token))[0] == 401
    assert (await world.api.get("/cases", bystander))[0] == 200
    assert (await world.api.get("/me", world.harmed))[0] == 200
    old = await world.api.post("/login", json={"username": "sam", "password": PASSWORD})
    assert old[0] == 401
    new = await world.api.post(
        "/login", json={"username": "sam", "password": "a brand new password"}
    )
    assert new[0] == 200 and new[1]["token"] not in tokens


async def test_a_deactivated_practitioners_sessions_stop_at_once(world: World) -> None:
    relay = world.api.client.app[RELAY]
    val = await world.staff_token("val")
    assert (await world.api.get("/queue", val))[0] == 200
    await relay.store.write(
        lambda tx: tx.run("UPDATE practitioners SET active = 0 WHERE username = 'val'")
    )
    assert (await world.api.get("/queue", val))[0] == 401
    assert (await world.api.get("/cases", world.specialist))[0] == 200
    assert (await world.api.get("/me", world.harmed))[0] == 200


# Ids that try to leave their place ------------------------------------------------------------

HOSTILE_IDS = [
    "..",
    "..%2F..%2F..%2Fetc%2Fpasswd",
    "%2e%2e%2f%2e%2e%2fkeys",
    "..%5C..%5Crelay.db",
    "%00",
    "itm_x%27%20OR%20%271%27%3D%271",
    "%2A",
    "%25",
    "x" * 2000,
]


@pytest.mark.parametrize("bad", HOSTILE_IDS, ids=range(len(HOSTILE_IDS)))
async def test_hostile_ids_are_just_not_found(world: World, config: Config, bad: str) -> None:
    before = snapshot(config.db_path)
    keys = b"".join(
        path.read_bytes() for path in sorted(Path(config.keys_dir).rglob("*")) if path.is_file()
    )
    probes = [
        ("GET", f"/cases/{bad}", world.specialist),
        ("GET", f"/items/{bad}", world.specialist),
        ("POST", f"/items/{bad}/claim", world.specialist),
        ("GET", f"/cases/{world.case_id}/participants/{bad}/contact", world.specialist),
        ("GET", f"/items/{bad}/attachments/1", world.specialist),
        ("GET", f"/me/items/{bad}/attachments/1", world.harmed),
        ("POST", f"/me/items/{bad}/open", world.harmed),
    ]
    for method, path, token in probes:
        response = await world.api.client.request(
            method, "/api/v1" + path, headers={"Authorization": f"Bearer {token}"}
        )
        data = await response.read()
        assert response.status in (404, 405), (path, response.status)
        assert b"root:" not in data and b"SQLite format" not in data
        assert not any(chunk in data for chunk in (keys[:16], keys[-16:]))
    assert snapshot(config.db_path) == before


@pytest.mark.parametrize("n", ["..%2F1", "0", "-1", "1.0", "%31", "99999", "1%00"])
async def test_hostile_attachment_numbers_are_just_not_found(world: World, n: str) -> None:
    item = await world.api.ok(
        "POST", "/me/items", world.responsible, {"kind": "letter", "body": "Hi."}, status=201
    )
    for path, token in (
        (f"/items/{item['id']}/attachments/{n}", world.specialist),
        (f"/me/items/{item['id']}/attachments/{n}", world.responsible),
    ):
        status, _ = await world.api.get(path, token)
        assert status in (404, 405), (path, status)


@pytest.mark.parametrize(
    "target",
    [
        b"/api/v1/../../etc/passwd",
        b"/api/v1/%2e%2e/%2e%2e/etc/passwd",
        b"/static/../../keys/audit.key",
        b"/static/..%2f..%2fkeys%2faudit.key",
        b"/static/%2e%2e/%2e%2e/relay.db",
    ],
)
async def test_raw_traversal_paths_serve_no_file(world: World, target: bytes) -> None:
    status, body = await raw_request(world, b"GET " + target + b" HTTP/1.1\r\n")
    assert status in (400, 403, 404), (target, status)
    assert b"root:" not in body and b"SQLite format" not in body
