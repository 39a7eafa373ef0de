"""The real app, on a fresh SQLite file and fresh keys in tmp_path, through aiohttp_client."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from aiohttp.test_utils import TestClient

from relay.app import create_app
from relay.clock import FrozenClock
from relay.config import Config
from relay.crypto import KeyStore
from relay.domain.sessions import add_practitioner
from relay.http import RELAY
from tests.backends import fresh_database

PASSWORD = "correct horse battery"
PASSPHRASE = "a long quiet river"
# Monday 2026-03-02, 10:00 in London (UTC in winter).
START = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)

VAULTS = {
    "harmed": {
        "name": "Margaret Ellison",
        "email": "maggie.ellison@example.org",
        "phone": "07700 900461",
        "address": "14 Mill Road, Cambridge CB1 2AB",
    },
    "responsible": {
        "name": "Dean Okafor",
        "email": "dean.okafor77@example.net",
        "phone": "+44 7700 900982",
        "address": "Flat 3, 22 Histon Avenue, Leeds LS6 1AA",
    },
    "supporter": {
        "name": "Priya Ramanathan",
        "email": "priya.r@example.com",
        "phone": "01223 496 017",
        "address": "7 Orchard Close, York YO1 7HH",
    },
}


@pytest.fixture
def clock() -> FrozenClock:
    return FrozenClock(START)


@pytest.fixture
def keys_dir(tmp_path: Path) -> Path:
    KeyStore.create(tmp_path / "keys")
    return tmp_path / "keys"


@pytest.fixture
def database_url() -> Iterator[str | None]:
    """None on SQLite; on PostgreSQL (RELAY_TEST_DATABASE_URL), a fresh database's URL."""
    with fresh_database() as url:
        yield url


@pytest.fixture
def config(tmp_path: Path, keys_dir: Path, clock: FrozenClock, database_url: str | None) -> Config:
    return Config(
        db_path=tmp_path / "relay.db",
        database_url=database_url,
        keys_dir=keys_dir,
        argon2_time_cost=1,
        argon2_memory_kib=1024,
        login_delay_seconds=0,
        # Long enough for tests that move the clock by days; expiry has its own test.
        session_ttl_seconds=30 * 24 * 3600,
        scan_workers=0,
        clock=clock,
    )


@dataclass
class Api:
    """A thin JSON client: every call returns (status, body), body parsed when JSON."""

    client: TestClient
    last_headers: dict[str, str] = field(default_factory=dict)
    responses: list[tuple[str, int, dict[str, str], str]] = field(default_factory=list)

    async def call(
        self,
        method: str,
        path: str,
        token: str | None = None,
        json: Any = None,
        headers: dict[str, str] | None = None,
        data: bytes | None = None,
    ) -> tuple[int, Any]:
        sent = dict(headers or {})
        if token:
            sent["Authorization"] = f"Bearer {token}"
        response = await self.client.request(
            method, "/api/v1" + path, json=json, data=data, headers=sent
        )
        text = await response.text()
        self.last_headers = dict(response.headers)
        self.responses.append((path, response.status, self.last_headers, text))
        if response.content_type in ("application/json", "application/problem+json"):
            return response.status, await response.json()
        return response.status, text

    async def get(self, path: str, token: str | None = None, **kw: Any) -> tuple[int, Any]:
        return await self.call("GET", path, token, **kw)

    async def post(
        self, path: str, token: str | None = None, json: Any = None, **kw: Any
    ) -> tuple[int, Any]:
        return await self.call("POST", path, token, json=json, **kw)

    async def put(
        self, path: str, token: str | None = None, json: Any = None, **kw: Any
    ) -> tuple[int, Any]:
        return await self.call("PUT", path, token, json=json, **kw)

    async def ok(
        self,
        method: str,
        path: str,
        token: str | None = None,
        json: Any = None,
        status: int | None = None,
    ) -> Any:
        code, body = await self.call(method, path, token, json=json)
        expected = status or (201 if method == "POST" and code == 201 else 200)
        assert code == expected, (method, path, code, body)
        return body


@pytest.fixture
async def client(aiohttp_client: Any, config: Config) -> TestClient:
    app = create_app(config)
    test_client = await aiohttp_client(app)
    relay = app[RELAY]
    await add_practitioner(
        relay,
        None,
        username="sam",
        password=PASSWORD,
        role="specialist",
        display_name="Sam Specialist",
    )
    await add_practitioner(
        relay,
        None,
        username="val",
        password=PASSWORD,
        role="volunteer",
        display_name="Val Volunteer",
    )
    await add_practitioner(
        relay,
        None,
        username="vic",
        password=PASSWORD,
        role="volunteer",
        display_name="Vic Volunteer",
    )
    return test_client


@pytest.fixture
def api(client: TestClient) -> Api:
    return Api(client)


@dataclass
class World:
    """An active case with both principals activated and signed in."""

    api: Api
    specialist: str
    case_id: str
    harmed_id: str
    responsible_id: str
    harmed: str  # tokens
    responsible: str
    logins: dict[str, str]
    codes: dict[str, str]

    async def staff_token(self, username: str) -> str:
        body = await self.api.ok(
            "POST", "/login", json={"username": username, "password": PASSWORD}
        )
        return str(body["token"])


async def staff_login(api: Api, username: str = "sam") -> str:
    body = await api.ok("POST", "/login", json={"username": username, "password": PASSWORD})
    return str(body["token"])


async def add_party(
    api: Api, token: str, case_id: str, role: str, alias: str, supports: str | None = None
) -> dict[str, Any]:
    payload: dict[str, Any] = {"role": role, "alias": alias, **VAULTS[role]}
    if supports:
        payload["supports"] = supports
    return await api.ok("POST", f"/cases/{case_id}/participants", token, payload, status=201)


async def activate_party(api: Api, code: str) -> tuple[str, str]:
    body = await api.ok(
        "POST", "/party/activate", json={"code": code, "passphrase": PASSPHRASE}, status=201
    )
    return str(body["token"]), str(body["login"])


async def open_gates(api: Api, token: str, case_id: str, *people: str) -> None:
    for pid in people:
        await api.ok("POST", f"/cases/{case_id}/participants/{pid}/consent", token, {"given": True})
        await api.ok(
            "POST",
            f"/cases/{case_id}/participants/{pid}/assessments",
            token,
            {"outcome": "safe", "notes": "Discussed support; no concerns."},
            status=201,
        )
    await api.ok("POST", f"/cases/{case_id}/admission", token, {"notes": "Admitted in interview."})


@pytest.fixture
async def world(api: Api) -> World:
    token = await staff_login(api)
    case = await api.ok(
        "POST",
        "/cases",
        token,
        {"crime_reference": "CR/20431/25", "modality": "letters", "risk_level": "standard"},
        status=201,
    )
    harmed = await add_party(api, token, case["id"], "harmed", "Alex")
    responsible = await add_party(api, token, case["id"], "responsible", "Sam R")
    await open_gates(api, token, case["id"], harmed["id"], responsible["id"])
    await api.ok("POST", f"/cases/{case['id']}/activate", token)
    harmed_token, harmed_login = await activate_party(api, harmed["invite_code"])
    responsible_token, responsible_login = await activate_party(api, responsible["invite_code"])
    return World(
        api,
        token,
        case["id"],
        harmed["id"],
        responsible["id"],
        harmed_token,
        responsible_token,
        {"harmed": harmed_login, "responsible": responsible_login},
        {"harmed": harmed["invite_code"], "responsible": responsible["invite_code"]},
    )


def all_vault_values() -> list[str]:
    return [value for vault in VAULTS.values() for value in vault.values()]


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Browser tests run last: Playwright's sync API keeps an event loop running in the main
    thread for the whole browser session, which the async tests must not run inside."""
    items.sort(key=lambda item: item.get_closest_marker("browser") is not None)
