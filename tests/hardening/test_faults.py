"""Faults: the server killed with SIGKILL mid-burst, a full disk, a read-only database.

A real `relay serve` runs as a subprocess on a copy of a prepared hub (`relay init`, one active
case, letters waiting for a decision): its files, and on PostgreSQL (the suite run by
`scripts/with-postgres`) its database, copied with `CREATE DATABASE ... TEMPLATE`. What must hold
afterwards:

- every write that was acknowledged (a 200/201 received) is there, exactly once;
- retrying every request with its Idempotency-Key applies each at most once and answers the
  first answer again (or 409 if the kill lost the answer of a change it had saved);
- `relay audit verify` passes and (SQLite) `PRAGMA integrity_check` is ok;
- (SQLite) while the disk is full or the database read-only, writes answer 503 problem+json with
  Retry-After, reads that need no write keep working, and nothing half-written is left behind.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import random
import resource
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from relay.audit import AuditLog
from relay.config import Config
from relay.crypto import KeyStore
from relay.storage import Store
from relay.storage.idempotency import IN_PROGRESS_DETAIL
from tests.api.test_bad_input import snapshot
from tests.backends import drop_database, new_database, on_postgres
from tests.conftest import PASSPHRASE, PASSWORD, VAULTS, World
from tests.hardening.conftest import LiveServer

RELAY_BIN = Path(sys.executable).with_name("relay")
PRE_DECIDED = 16  # letters waiting for a decision in the prepared hub


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def database_url(root: Path) -> str | None:
    """The PostgreSQL database of the hub at `root` (root/database.url), None on SQLite."""
    path = root / "database.url"
    return path.read_text().strip() if path.exists() else None


def relay_env(root: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("RELAY_")}
    env.update(
        RELAY_DB=str(root / "relay.db"),
        RELAY_KEYS=str(root / "keys"),
        RELAY_PASSWORD=PASSWORD,
        RELAY_ARGON2_TIME_COST="1",
        RELAY_ARGON2_MEMORY_KIB="1024",
        RELAY_MAILDIR=str(root / "outbox"),
        RELAY_HOST="127.0.0.1",
    )
    url = database_url(root)
    if url is not None:
        env["RELAY_DATABASE_URL"] = url
    return env


def relay(root: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(RELAY_BIN), *args],
        env=relay_env(root),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def descendants(pid: int) -> set[int]:
    """Every process below `pid` (the scanner's forkserver and its workers)."""
    parents: dict[int, list[int]] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        with contextlib.suppress(OSError, ValueError, IndexError):
            fields = stat.read_text().rpartition(")")[2].split()
            parents.setdefault(int(fields[1]), []).append(int(stat.parent.name))
    found, todo = set(), [pid]
    while todo:
        for child in parents.get(todo.pop(), []):
            if child not in found:
                found.add(child)
                todo.append(child)
    return found


class Server:
    """`relay serve` on a free port; `file_size_limit` emulates a full disk (RLIMIT_FSIZE)."""

    def __init__(self, root: Path, file_size_limit: int | None = None) -> None:
        self.root = root
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}/api/v1"
        self.limit = file_size_limit
        self.log = root / f"serve-{self.port}.log"
        self.proc: subprocess.Popen[bytes] | None = None
        self.children: set[int] = set()

    def _limit(self) -> None:  # runs in the child before exec
        if self.limit is not None:
            resource.setrlimit(resource.RLIMIT_FSIZE, (self.limit, self.limit))

    def start(self) -> Server:
        return self.launch().ready()

    def launch(self) -> Server:
        """Start the process without waiting for it to listen (see `ready`)."""
        with self.log.open("wb") as log:
            self.proc = subprocess.Popen(
                [str(RELAY_BIN), "serve", "--port", str(self.port)],
                env=relay_env(self.root),
                stdout=log,
                stderr=subprocess.STDOUT,
                preexec_fn=self._limit,
            )
        return self

    def ready(self) -> Server:
        """Wait until the launched process accepts connections."""
        assert self.proc is not None
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise AssertionError(f"relay serve exited: {self.log.read_text()}")
            with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", self.port)):
                return self
            time.sleep(0.05)
        raise AssertionError(f"relay serve did not start: {self.log.read_text()}")

    def kill(self) -> None:
        """SIGKILL, as a power cut or the OOM killer would; nothing gets to clean up."""
        assert self.proc is not None
        children = descendants(self.proc.pid)
        os.kill(self.proc.pid, signal.SIGKILL)
        self.proc.wait()
        # The scanner's pool workers would outlive it (each holds its queue's write end, so
        # no EOF ever comes); a supervisor would reap them, here we do.
        for pid in children:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)

    def stop(self) -> None:
        """SIGTERM (a clean shutdown), then make sure no process of ours is left."""
        if self.proc is None:
            return
        if self.proc.poll() is None:
            self.children |= descendants(self.proc.pid)
            self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        deadline = time.monotonic() + 5
        while self.children and time.monotonic() < deadline:  # orphans exit on their own
            self.children = {pid for pid in self.children if Path(f"/proc/{pid}").exists()}
            time.sleep(0.05)
        for pid in self.children:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        self.proc = None


@dataclass
class Hub:
    """A prepared hub: tokens and ids valid in every copy of it."""

    root: Path
    specialist: str
    harmed: str
    responsible: str
    case_id: str
    waiting: list[dict[str, Any]] = field(default_factory=list)  # {id, dismissed}


class Http:
    def __init__(self, session: aiohttp.ClientSession, base: str) -> None:
        self.session = session
        self.base = base

    async def call(
        self, method: str, path: str, token: str | None, payload: Any = None, key: str | None = None
    ) -> tuple[int, Any, dict[str, str]]:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        if key:
            headers["Idempotency-Key"] = key
        async with self.session.request(
            method, self.base + path, json=payload, headers=headers
        ) as response:
            body = await response.json(content_type=None) if response.content_length != 0 else None
            return response.status, body, dict(response.headers)

    async def ok(self, method: str, path: str, token: str | None, payload: Any = None) -> Any:
        status, body, _ = await self.call(method, path, token, payload)
        assert status in (200, 201), (method, path, status, body)
        return body


@contextlib.asynccontextmanager
async def http(server: Server | LiveServer, connections: int = 16) -> AsyncIterator[Http]:
    connector = aiohttp.TCPConnector(limit=connections, force_close=False)
    timeout = aiohttp.ClientTimeout(total=60)
    async with aiohttp.ClientSession(connector=connector, timeout=timeout) as session:
        yield Http(session, server.base)


def marker(n: int) -> str:
    """Digits spelled as letters: a unique word per letter that no detector flags."""
    return "".join("abcdefghij"[int(d)] for d in f"{n:04d}")


async def _prepare(root: Path, server: LiveServer) -> Hub:
    async with http(server) as api:
        login = {"username": "sam", "password": PASSWORD}
        token = (await api.ok("POST", "/login", None, login))["token"]
        case = await api.ok(
            "POST",
            "/cases",
            token,
            {"crime_reference": "CR/9/26", "modality": "letters", "risk_level": "standard"},
        )
        people = {}
        for role, alias in (("harmed", "Alex"), ("responsible", "Sam R")):
            payload = {"role": role, "alias": alias, **VAULTS[role]}
            people[role] = await api.ok("POST", f"/cases/{case['id']}/participants", token, payload)
            pid = people[role]["id"]
            base = f"/cases/{case['id']}/participants/{pid}"
            await api.ok("POST", base + "/consent", token, {"given": True})
            await api.ok(
                "POST", base + "/assessments", token, {"outcome": "safe", "notes": "Fine."}
            )
        await api.ok("POST", f"/cases/{case['id']}/admission", token, {"notes": "Admitted."})
        await api.ok("POST", f"/cases/{case['id']}/activate", token)
        tokens = {}
        for role, person in people.items():
            activation = {"code": person["invite_code"], "passphrase": PASSPHRASE}
            tokens[role] = (await api.ok("POST", "/party/activate", None, activation))["token"]
        hub = Hub(root, token, tokens["harmed"], tokens["responsible"], case["id"])
        for n in range(PRE_DECIDED):
            body = {"kind": "letter", "body": f"Waiting letter {marker(n)}."}
            item = await api.ok("POST", "/me/items", tokens["responsible"], body)
            detail = await api.ok("GET", f"/items/{item['id']}", token)
            dismissed = [{"finding": f["id"], "reason": "ok"} for f in detail["findings"]]
            hub.waiting.append({"id": item["id"], "dismissed": dismissed})
        return hub


@pytest.fixture(scope="module")
def prepared(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Hub]:
    root = tmp_path_factory.mktemp("hub") / "relay"
    root.mkdir()
    url = new_database() if on_postgres() else None
    if url is not None:
        (root / "database.url").write_text(url)
    try:
        done = relay(root, "init", "--username", "sam")
        assert done.returncode == 0, done.stderr
        # The case is set up in-process (same files, inline scanning): quicker than a subprocess.
        config = Config.from_env(relay_env(root), scan_workers=0)
        server = LiveServer(config, practitioners=False).start()
        try:
            hub = asyncio.run(_prepare(root, server))
        finally:
            server.stop()  # and so lets go of the database, which copies need as a template
        yield hub
    finally:
        if url is not None:
            drop_database(url)


@pytest.fixture
def hub(prepared: Hub, tmp_path: Path) -> Iterator[Hub]:
    """A copy of the prepared hub (keys keep their 0600 mode; its own PostgreSQL database)."""
    root = tmp_path / "relay"
    shutil.copytree(prepared.root, root, ignore=shutil.ignore_patterns("serve-*.log"))
    template = database_url(prepared.root)
    url = new_database(template) if template is not None else None
    if url is not None:
        (root / "database.url").write_text(url)
    try:
        yield Hub(root, prepared.specialist, prepared.harmed, prepared.responsible,
                  prepared.case_id, prepared.waiting)  # fmt: skip
    finally:
        if url is not None:
            drop_database(url)


@pytest.fixture
def servers() -> Iterator[list[Server]]:
    started: list[Server] = []
    yield started
    for server in started:
        server.stop()


@contextlib.asynccontextmanager
async def opened(root: Path) -> AsyncIterator[Store]:
    """The hub's store, opened in this process."""
    store = await Store(
        KeyStore.load(root / "keys"), path=root / "relay.db", url=database_url(root)
    ).open()
    try:
        yield store
    finally:
        await store.close()


async def rows(root: Path, sql: str, params: tuple[object, ...] = ()) -> list[tuple[Any, ...]]:
    async with opened(root) as store:
        return await store.read(
            lambda tx: [
                tuple(row[n] for n in range(len(row.keys()))) for row in tx.rows(sql, params)
            ]
        )


async def audit_holds(root: Path) -> bool:
    audit = AuditLog(KeyStore.load(root / "keys").audit_key)
    async with opened(root) as store:
        return (await store.read(audit.verify)).ok


def integrity(db: Path) -> str:
    with contextlib.closing(sqlite3.connect(db)) as conn:
        return str(conn.execute("PRAGMA integrity_check").fetchone()[0])


# SIGKILL during a burst ----------------------------------------------------------------------


@dataclass
class Request:
    method: str
    path: str
    token: str
    payload: Any
    key: str
    answer: tuple[int, Any] | None = None  # what the client received, if anything


def burst_requests(hub: Hub, writes: int) -> list[Request]:
    requests = [
        Request(
            "POST",
            "/me/items",
            hub.responsible if n % 2 else hub.harmed,
            {"kind": "letter", "body": f"Burst letter {marker(n)}."},
            f"write-{n}",
        )
        for n in range(writes)
    ]
    requests += [
        Request(
            "POST",
            f"/items/{item['id']}/decision",
            hub.specialist,
            {"action": "approve", "version": 1, "dismissed": item["dismissed"]},
            f"decide-{n}",
        )
        for n, item in enumerate(hub.waiting)
    ]
    random.Random(7).shuffle(requests)
    return requests


async def fire(api: Http, requests: list[Request], after: Callable[[], None]) -> None:
    async def one(request: Request) -> None:
        try:
            status, body, _ = await api.call(
                request.method, request.path, request.token, request.payload, request.key
            )
        except (aiohttp.ClientError, TimeoutError):
            return  # not acknowledged
        request.answer = (status, body)
        after()

    await asyncio.gather(*(one(r) for r in requests))


async def retry_all(api: Http, requests: list[Request], lost: list[Request]) -> None:
    """Retry everything with the same keys: acknowledged answers come back unchanged, and each
    lost request takes effect now or was already done - once either way. One done whose answer
    the kill lost (the key was reserved with the change, its answer not yet stored) is 409."""

    async def retry(request: Request) -> tuple[int, Any, dict[str, str]]:
        return await api.call(
            request.method, request.path, request.token, request.payload, request.key
        )

    for request, (status, body, headers) in zip(
        requests, await asyncio.gather(*map(retry, requests)), strict=True
    ):
        if request.answer is not None:
            assert (status, body) == request.answer, request.key
            assert headers.get("Idempotent-Replayed") == "true"
        else:
            assert status in (200, 201, 409), (request.key, body)
            if status == 409:
                assert body["detail"] == IN_PROGRESS_DETAIL, (request.key, body)
            request.answer = (status, body)
    for request, (status, body, headers) in zip(
        lost, await asyncio.gather(*map(retry, lost)), strict=True
    ):
        assert (status, body) == request.answer, request.key
        replayed = headers.get("Idempotent-Replayed") == "true"
        assert replayed == (status != 409), request.key


async def kill_mid_burst(hub: Hub, servers: list[Server], writes: int, kill_after: int) -> None:
    server = Server(hub.root).start()
    servers.append(server)
    requests = burst_requests(hub, writes)
    received = 0

    def count() -> None:
        nonlocal received
        received += 1
        if received == kill_after:
            server.kill()

    async with http(server) as api:
        await fire(api, requests, count)
    acked = [r for r in requests if r.answer is not None]
    lost = [r for r in requests if r.answer is None]
    assert kill_after <= len(acked) < len(requests), "the kill should land mid-burst"
    assert {r.answer[0] for r in acked if r.answer} <= {200, 201}

    server = Server(hub.root).start()  # SQLite recovers from its WAL on open
    servers.append(server)
    async with http(server) as api:
        await acknowledged_once(hub, api, requests, lost, writes)
    server.stop()
    await approved_once(hub)
    if not on_postgres():
        assert integrity(hub.root / "relay.db") == "ok"
    audit_verifies(hub.root)


async def acknowledged_once(
    hub: Hub, api: Http, requests: list[Request], lost: list[Request], writes: int
) -> None:
    """Every acknowledged write is there; retrying everything applies each at most once; each
    burst letter exists once."""
    sent = {}
    for token in (hub.harmed, hub.responsible):
        for entry in (await api.ok("GET", "/me/items", token))["sent"]:
            sent[entry["id"]] = entry
    for request in requests:
        if request.answer is None:
            continue
        item_id = request.answer[1]["id"]
        assert item_id in sent, request.key
        if request.path == "/me/items":
            assert sent[item_id]["text"] == request.payload["body"]
        else:
            assert sent[item_id]["state"] in ("approved", "delivered")

    await retry_all(api, requests, lost)

    texts: list[str] = []
    for token in (hub.harmed, hub.responsible):
        texts += [e["text"] for e in (await api.ok("GET", "/me/items", token))["sent"]]
    for n in range(writes):
        assert texts.count(f"Burst letter {marker(n)}.") == 1, n
    assert len(texts) == writes + PRE_DECIDED


async def approved_once(hub: Hub) -> None:
    """Each waiting letter was approved exactly once (one item.approve event each)."""
    approvals = await rows(
        hub.root,
        "SELECT subject, COUNT(*) FROM audit_events WHERE action = 'item.approve' GROUP BY subject",
    )
    states = dict(await rows(hub.root, "SELECT id, state FROM items"))
    assert sorted(approvals) == sorted((item["id"], 1) for item in hub.waiting)
    assert {states[item["id"]] for item in hub.waiting} <= {"approved", "delivered"}


def audit_verifies(root: Path) -> None:
    verified = relay(root, "audit", "verify")
    assert verified.returncode == 0, verified.stderr
    assert "Audit chain holds" in verified.stdout


async def test_acknowledged_writes_survive_sigkill_and_retries_apply_once(
    hub: Hub, servers: list[Server]
) -> None:
    await kill_mid_burst(hub, servers, writes=64, kill_after=30)


@pytest.mark.slow
@pytest.mark.parametrize("kill_after", [1, 60, 150])
async def test_acknowledged_writes_survive_sigkill_long_run(
    hub: Hub, servers: list[Server], kill_after: int
) -> None:
    await kill_mid_burst(hub, servers, writes=200, kill_after=kill_after)


# A full disk ---------------------------------------------------------------------------------


@pytest.mark.skipif(
    on_postgres(), reason="RLIMIT_FSIZE fills SQLite's files; PostgreSQL writes on its server"
)
async def test_a_full_disk_answers_503_and_loses_nothing_acknowledged(
    hub: Hub, servers: list[Server]
) -> None:
    db = hub.root / "relay.db"
    # The WAL starts empty (the last shutdown checkpointed it); let it grow 128 KiB past the
    # database's size, then every write of the process fails with EFBIG, as on a full disk.
    server = Server(hub.root, file_size_limit=db.stat().st_size + 128 * 1024).start()
    servers.append(server)
    created: list[str] = []
    refused = 0
    async with http(server, connections=4) as api:
        for n in range(200):
            status, body, headers = await api.call(
                "POST",
                "/me/items",
                hub.responsible,
                {"kind": "letter", "body": f"Letter {marker(n)}. " + "word " * 400},
                key=f"full-{n}",
            )
            if status == 201:
                assert not refused, "a write succeeded after the disk filled up"
                created.append(body["id"])
                continue
            assert status == 503, body
            assert headers["Content-Type"].startswith("application/problem+json")
            assert headers["Retry-After"] == "30"
            assert body["detail"] == "relay cannot save anything right now. Try again shortly."
            refused += 1
            if refused == 5:
                break
        assert created and refused == 5
        # Reading what needs no write still works. An audited read needs a small write: it is
        # served only if its audit event could be saved (checked below), else refused.
        sent = (await api.ok("GET", "/me/items", hub.responsible))["sent"]
        assert {entry["id"] for entry in sent} >= set(created)
        audited, body, _ = await api.call("GET", f"/items/{created[0]}", hub.specialist)
        assert audited in (200, 503), body
    server.stop()

    assert integrity(db) == "ok"
    stored = {row[0] for row in await rows(hub.root, "SELECT id FROM items")}
    [(written,)] = await rows(
        hub.root, "SELECT COUNT(*) FROM audit_events WHERE action = 'item.written'"
    )
    [(reads,)] = await rows(
        hub.root,
        "SELECT COUNT(*) FROM audit_events WHERE action = 'item.read' AND subject = ?",
        (created[0],),
    )
    assert reads == (1 if audited == 200 else 0)
    assert set(created) <= stored
    assert len(stored) == written == PRE_DECIDED + len(created)  # nothing half-written
    assert await audit_holds(hub.root)  # what `relay audit verify` runs, without a process


# A read-only database ------------------------------------------------------------------------


def chattr(flag: str, *paths: Path) -> bool:
    done = subprocess.run(
        ["chattr", flag, *map(str, paths)], capture_output=True, timeout=10, check=False
    )
    return done.returncode == 0


@pytest.fixture
def immutable(config: Any) -> Iterator[Callable[[], None]]:
    """Make relay.db and its WAL immutable (even root cannot write them); undone afterwards."""
    if shutil.which("chattr") is None:
        pytest.skip("chattr is not installed")
    files = [config.db_path, config.db_path.with_name(config.db_path.name + "-wal")]

    def freeze() -> None:
        if not chattr("+i", *files):
            pytest.skip("this filesystem or user cannot set the immutable attribute")

    yield freeze
    chattr("-i", *files)


@pytest.mark.skipif(
    on_postgres(), reason="chattr freezes SQLite's file; PostgreSQL's files are its server's"
)
async def test_a_read_only_database_answers_503_and_stays_intact(
    world: World, config: Any, immutable: Callable[[], None]
) -> None:
    api = world.api
    before = snapshot(config.db_path)
    immutable()
    writes = [
        ("POST", "/me/items", world.responsible, {"kind": "letter", "body": "Hello."}),
        ("POST", "/cases", world.specialist, {
            "crime_reference": "CR/1", "modality": "letters", "risk_level": "high"}),
        ("POST", "/login", None, {"username": "sam", "password": PASSWORD}),
        ("POST", "/logout", world.harmed, None),
        ("PUT", "/me/preferences", world.harmed, {"read_receipts": True, "delivery_window": None}),
    ]  # fmt: skip
    for method, path, token, payload in writes:
        status, body = await api.call(method, path, token, json=payload)
        assert status == 503, (path, body)
        assert api.last_headers["Content-Type"].startswith("application/problem+json")
        assert api.last_headers["Retry-After"] == "30"
        assert set(body) >= {"status", "title", "detail"}
    assert (await api.get("/me", world.harmed))[0] == 200
    assert (await api.get("/cases", world.specialist))[0] == 200
    chattr("-i", config.db_path, config.db_path.with_name(config.db_path.name + "-wal"))
    assert (await api.get("/me", world.harmed))[0] == 200  # the session was not revoked
    assert snapshot(config.db_path) == before
    assert integrity(config.db_path) == "ok"
    status, _ = await api.post("/me/items", world.responsible, {"kind": "letter", "body": "Hi."})
    assert status == 201  # and it recovers by itself once writable again
