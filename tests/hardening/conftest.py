"""Helpers for hardening tests: the real app served on a free 127.0.0.1 port.

`LiveServer` runs `create_app(config)` under aiohttp's AppRunner/TCPSite in a background thread
with its own event loop, so synchronous clients (schemathesis, requests) can drive it from the
test thread. `seed_world` builds the usual active case through the HTTP API.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Awaitable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import pytest
import requests
from aiohttp import web

from relay.app import create_app
from relay.config import Config
from relay.crypto import KeyStore
from relay.domain.sessions import add_practitioner
from relay.http import RELAY
from tests.conftest import PASSPHRASE, PASSWORD, VAULTS

T = TypeVar("T")


def cheap_config(root: Path, **overrides: Any) -> Config:
    """Fresh keys and database under `root`, cheap argon2, no login delay, inline scanning."""
    KeyStore.create(root / "keys")
    values: dict[str, Any] = {
        "db_path": root / "relay.db",
        "keys_dir": root / "keys",
        "argon2_time_cost": 1,
        "argon2_memory_kib": 1024,
        "login_delay_seconds": 0,
        "scan_workers": 0,
        "session_ttl_seconds": 24 * 3600,
    }
    values.update(overrides)
    return Config(**values)


class LiveServer:
    """The app on 127.0.0.1:<free port>, its loop in a daemon thread."""

    def __init__(self, config: Config, practitioners: bool = True) -> None:
        self.config = config
        self.practitioners = practitioners  # add sam (specialist) and val (volunteer)
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.app: web.Application | None = None
        self.runner: web.AppRunner | None = None
        self.port = 0

    def run(self, coroutine: Awaitable[T]) -> T:
        """Run a coroutine on the server's loop and wait for its result."""
        return asyncio.run_coroutine_threadsafe(coroutine, self.loop).result(timeout=60)  # type: ignore[arg-type]

    def start(self) -> LiveServer:
        self.thread.start()
        self.run(self._start())
        return self

    async def _start(self) -> None:
        self.app = create_app(self.config)
        self.runner = web.AppRunner(self.app, access_log=None)
        await self.runner.setup()
        site = web.TCPSite(self.runner, "127.0.0.1", 0)
        await site.start()
        server = site._server
        assert server is not None
        self.port = server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        if not self.practitioners:
            return
        for username, role in (("sam", "specialist"), ("val", "volunteer")):
            await add_practitioner(
                self.app[RELAY],
                None,
                username=username,
                password=PASSWORD,
                role=role,
                display_name=username.title(),
            )

    def stop(self) -> None:
        if self.runner is not None:
            self.run(self.runner.cleanup())
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(timeout=10)
        self.loop.close()

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}/api/v1"


@dataclass
class Seeded:
    """An active case, both principals activated, and one delivered letter each way."""

    specialist: str
    harmed: str
    responsible: str
    case_id: str
    harmed_id: str
    responsible_id: str
    delivered_to_harmed: str
    pending_from_harmed: str


def _ok(response: requests.Response, status: int = 200) -> Any:
    assert response.status_code == status, (response.request.url, response.text)
    return response.json() if response.content else None


def seed_world(base: str, http: requests.Session | None = None, label: str = "CR/1") -> Seeded:
    s = http or requests.Session()

    def post(path: str, token: str | None, payload: Any = None, status: int = 200) -> Any:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        return _ok(s.post(base + path, json=payload, headers=headers, timeout=30), status)

    token = post("/login", None, {"username": "sam", "password": PASSWORD})["token"]
    case = post(
        "/cases",
        token,
        {"crime_reference": label, "modality": "letters", "risk_level": "standard"},
        201,
    )
    case_id = case["id"]
    people = {}
    for role, alias in (("harmed", "Alex"), ("responsible", "Sam R")):
        payload = {"role": role, "alias": alias, **VAULTS[role]}
        people[role] = post(f"/cases/{case_id}/participants", token, payload, 201)
    for person in people.values():
        pid = person["id"]
        post(f"/cases/{case_id}/participants/{pid}/consent", token, {"given": True})
        post(
            f"/cases/{case_id}/participants/{pid}/assessments",
            token,
            {"outcome": "safe", "notes": "Fine."},
            201,
        )
    post(f"/cases/{case_id}/admission", token, {"notes": "Admitted."})
    post(f"/cases/{case_id}/activate", token)
    tokens = {
        role: post(
            "/party/activate", None, {"code": p["invite_code"], "passphrase": PASSPHRASE}, 201
        )["token"]
        for role, p in people.items()
    }
    letter = post(
        "/me/items", tokens["responsible"], {"kind": "letter", "body": "I am sorry."}, 201
    )
    post(f"/items/{letter['id']}/decision", token, {"action": "approve", "version": 1})
    pending = post("/me/items", tokens["harmed"], {"kind": "letter", "body": "Thank you."}, 201)
    return Seeded(
        token,
        tokens["harmed"],
        tokens["responsible"],
        case_id,
        people["harmed"]["id"],
        people["responsible"]["id"],
        letter["id"],
        pending["id"],
    )


@pytest.fixture(scope="module")
def live_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    server = LiveServer(cheap_config(tmp_path_factory.mktemp("live"))).start()
    try:
        yield server
    finally:
        server.stop()
