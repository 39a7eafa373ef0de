"""Seeding: cases and party sessions through the HTTP API, bulk items straight into the database.

Cases, participants, gates, activation and invite codes go through the API exactly as
tests/conftest.py does, so the sessions the load uses are real ones. Items that only need to
*exist* (pending items to approve, a store of 1M items behind the queue) are written in one
transaction (SQLite: executemany; PostgreSQL: COPY; see stores.py), encrypted with relay's own
CaseCipher under each case's real data key, so the server opens them like any other.
"""

from __future__ import annotations

import asyncio
import json
import os
import random
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import aiohttp
from stores import Store

from relay.crypto import CaseCipher, KeyStore
from relay.domain.hub import new_id, stamp

PASSWORD = "bench-specialist-pass"
PASSPHRASE = "a long quiet river at dawn"
API = "/api/v1"


@dataclass(frozen=True, slots=True)
class SeededCase:
    id: str
    harmed_id: str
    responsible_id: str
    harmed_token: str
    responsible_token: str


@dataclass(frozen=True, slots=True)
class World:
    staff_token: str
    cases: list[SeededCase]

    @property
    def party_tokens(self) -> list[str]:
        return [t for c in self.cases for t in (c.harmed_token, c.responsible_token)]


class ApiError(RuntimeError):
    pass


async def _call(
    session: aiohttp.ClientSession,
    method: str,
    path: str,
    token: str | None = None,
    payload: object = None,
) -> dict[str, object]:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    async with session.request(method, API + path, json=payload, headers=headers) as response:
        body = await response.json(content_type=None)
        if response.status >= 300:
            raise ApiError(f"{method} {path} answered {response.status}: {body}")
        return body


async def staff_login(base_url: str, username: str) -> str:
    async with aiohttp.ClientSession(base_url) as session:
        body = await _call(
            session, "POST", "/login", payload={"username": username, "password": PASSWORD}
        )
    return str(body["token"])


async def _one_case(session: aiohttp.ClientSession, token: str, n: int) -> SeededCase:
    case = await _call(
        session,
        "POST",
        "/cases",
        token,
        {"crime_reference": f"CR/{20000 + n}/25", "modality": "letters", "risk_level": "standard"},
    )
    case_id = str(case["id"])
    people = {}
    for role, alias in (("harmed", f"Alex {n}"), ("responsible", f"Sam R {n}")):
        people[role] = await _call(
            session,
            "POST",
            f"/cases/{case_id}/participants",
            token,
            {
                "role": role,
                "alias": alias,
                "name": f"{role.title()} Person {n}",
                "email": f"{role}.{n}@example.org",
                "phone": f"07700 900{n % 1000:03d}",
                "address": f"{n} Mill Road, Cambridge CB1 2AB",
            },
        )
    for person in people.values():
        pid = person["id"]
        await _call(
            session, "POST", f"/cases/{case_id}/participants/{pid}/consent", token, {"given": True}
        )
        await _call(
            session,
            "POST",
            f"/cases/{case_id}/participants/{pid}/assessments",
            token,
            {"outcome": "safe", "notes": "Discussed support; no concerns."},
        )
    await _call(session, "POST", f"/cases/{case_id}/admission", token, {"notes": "Admitted."})
    await _call(session, "POST", f"/cases/{case_id}/activate", token)
    tokens = {}
    for role, person in people.items():
        body = await _call(
            session,
            "POST",
            "/party/activate",
            payload={"code": person["invite_code"], "passphrase": PASSPHRASE},
        )
        tokens[role] = str(body["token"])
    return SeededCase(
        case_id,
        str(people["harmed"]["id"]),
        str(people["responsible"]["id"]),
        tokens["harmed"],
        tokens["responsible"],
    )


async def seed_world(base_url: str, username: str, cases: int) -> World:
    """`cases` active cases, both principals activated and signed in, through the API."""
    token = await staff_login(base_url, username)
    limit = asyncio.Semaphore(4)

    async def guarded(session: aiohttp.ClientSession, n: int) -> SeededCase:
        async with limit:
            return await _one_case(session, token, n)

    async with aiohttp.ClientSession(base_url) as session:
        seeded = await asyncio.gather(*(guarded(session, n) for n in range(1, cases + 1)))
    return World(token, list(seeded))


async def add_volunteer(base_url: str, staff_token: str, username: str, case_id: str) -> str:
    """A volunteer assigned to one case, signed in; returns their token."""
    async with aiohttp.ClientSession(base_url) as session:
        await _call(
            session,
            "POST",
            "/practitioners",
            staff_token,
            {
                "username": username,
                "password": PASSWORD,
                "role": "volunteer",
                "display_name": "Bench Volunteer",
            },
        )
        await _call(
            session, "POST", f"/cases/{case_id}/assign", staff_token, {"practitioner": username}
        )
    return await staff_login(base_url, username)


# Direct inserts ---------------------------------------------------------------------------


def _ciphers(
    store: Store, conn: object, keys_dir: Path, cases: Sequence[SeededCase]
) -> dict[str, CaseCipher]:
    keys = KeyStore.load(keys_dir)
    found = {}
    for case in cases:
        ((wrapped,),) = store.rows(conn, "SELECT data_key FROM cases WHERE id = ?", (case.id,))
        found[case.id] = CaseCipher(case.id, keys.unwrap(case.id, bytes(wrapped)))
    return found


def _seal_fields(cipher: CaseCipher, item_id: str, text: str) -> dict[str, bytes]:
    """The item's encrypted fields, each bound to (case, items, row, field) like relay's."""
    return {
        name: cipher.seal("items", item_id, name, value)
        for name, value in (
            ("original", text),
            ("body", text),
            ("findings", "[]"),
            ("dismissed", "{}"),
        )
    }


def _sealed_row(
    cipher: CaseCipher,
    case: SeededCase,
    seq: int,
    state: str,
    text: str,
    when: str,
    from_harmed: bool,
) -> tuple[object, ...]:
    item_id = new_id("itm")
    author, recipient = (
        (case.harmed_id, case.responsible_id)
        if from_harmed
        else (case.responsible_id, case.harmed_id)
    )
    role = "harmed" if from_harmed else "responsible"
    sealed = _seal_fields(cipher, item_id, text)
    return (
        item_id,
        seq,
        case.id,
        "letter",
        author,
        role,
        author,
        recipient,
        state,
        1,  # version
        sealed["original"],
        sealed["body"],
        sealed["findings"],
        sealed["dismissed"],
        None,
        when,
        when,
        None,
        None,
        when,
    )


def _pending_rows(
    cases: Sequence[SeededCase],
    ciphers: dict,
    texts: Sequence[str],
    last_seq: int,
    count: int,
    waiting_since: Callable[[int], datetime],
) -> list[tuple]:
    """`count` real pending letters after `last_seq`, round the cases; the n-th waits since
    `waiting_since(n)`."""
    return [
        _sealed_row(
            ciphers[cases[n % len(cases)].id],
            cases[n % len(cases)],
            last_seq + n + 1,
            "pending",
            texts[n % len(texts)],
            stamp(waiting_since(n)),
            n % 2 == 0,
        )
        for n in range(count)
    ]


def _value(store: Store, conn: object, sql: str) -> int:
    return int(store.rows(conn, sql)[0][0])


_LAST_SEQ = "SELECT COALESCE(MAX(seq), 0) FROM items"


def seed_pending(
    store: Store, keys_dir: Path, cases: Sequence[SeededCase], texts: Sequence[str], count: int
) -> list[str]:
    """`count` pending letters (no findings, so approvable), spread over the cases.

    Runs beside the (idle) server: the write lock is taken before reading the last `seq`.
    """
    with store.connect(bulk=True) as conn:
        ciphers = _ciphers(store, conn, keys_dir, cases)
        store.begin_write(conn)
        seq = _value(store, conn, _LAST_SEQ)
        now = datetime.now(UTC)
        rows = _pending_rows(
            cases, ciphers, texts, seq, count, lambda n: now - timedelta(microseconds=count - n)
        )
        store.insert_items(conn, rows)
        conn.execute("COMMIT")
        store.settle(conn)
    return [str(r[0]) for r in rows]


_FILLER = os.urandom(48)  # stands in for a sealed body that nothing will open
READABLE = 256  # the oldest decided items of each batch are real: `?state=` pages open them


def _filler_rows(
    cases: Sequence[SeededCase],
    ciphers: dict[str, CaseCipher],
    texts: Sequence[str],
    first_seq: int,
    count: int,
    start: datetime,
    rng: random.Random,
) -> Iterator[tuple[object, ...]]:
    """Decided items (delivered or rejected), oldest first; past READABLE, stand-in blobs.

    The default queue never opens decided items, and a real body per row would make a 1M-item
    store several GB: those rows are the right shape and count for the indexes, not for
    reading. The oldest ones, which a `?state=delivered` first page shows, are real.
    """
    for n in range(count):
        case = cases[n % len(cases)]
        from_harmed = n % 2 == 0
        author, recipient = (
            (case.harmed_id, case.responsible_id)
            if from_harmed
            else (case.responsible_id, case.harmed_id)
        )
        when = stamp(start + timedelta(seconds=n))
        delivered = rng.random() < 0.9
        item_id = new_id("itm")
        blobs = (
            list(_seal_fields(ciphers[case.id], item_id, texts[n % len(texts)]).values())
            if n < READABLE
            else [_FILLER] * 4
        )
        yield (
            item_id,
            first_seq + n,
            case.id,
            "letter",
            author,
            "harmed" if from_harmed else "responsible",
            author,
            recipient,
            "delivered" if delivered else "rejected",
            1,  # version
            *blobs,
            "opened" if delivered else None,
            when,
            when,
            when if delivered else None,
            when if delivered else None,
            when,
        )


def grow_store(
    store: Store,
    keys_dir: Path,
    cases: Sequence[SeededCase],
    texts: Sequence[str],
    total: int,
    awaiting_share: float = 0.01,
    min_awaiting: int = 200,
) -> dict[str, int]:
    """Add items until the store holds `total`; about `awaiting_share` of them await a decision.

    Awaiting items are real (1-3 KB letters, encrypted, bound to their row); their
    waiting_since times are spread over the whole history, so the oldest ones — the queue's
    first page — sit among old decided items, not conveniently at the end of the table.
    Runs while the server is stopped.
    """
    with store.connect(bulk=True, offline=True) as conn:
        have = _value(store, conn, "SELECT COUNT(*) FROM items")
        seq = _value(store, conn, _LAST_SEQ)
        adding = total - have
        if adding <= 0:
            return {"items": have, "awaiting": _value(store, conn, _AWAITING)}
        awaiting = min(adding, max(min_awaiting, round(adding * awaiting_share)))
        rng = random.Random(total)
        ciphers = _ciphers(store, conn, keys_dir, cases)
        start = datetime(2024, 1, 1, tzinfo=UTC) + timedelta(seconds=have)
        store.begin_write(conn)
        store.insert_items(
            conn, _filler_rows(cases, ciphers, texts, seq + 1, adding - awaiting, start, rng)
        )
        seq += adding - awaiting
        rows = _pending_rows(
            cases,
            ciphers,
            texts,
            seq,
            awaiting,
            lambda _n: start + timedelta(seconds=rng.randrange(max(1, adding))),
        )
        store.insert_items(conn, rows)
        conn.execute("COMMIT")
        return {"items": have + adding, "awaiting": _value(store, conn, _AWAITING)}


def wait_quiet(store: Store, timeout: float = 60.0) -> None:
    """Wait until the server has finished the requests a load run left in flight.

    A load generator stops on the clock, but the server still completes what it accepted;
    seeding must not race those writes for the next `seq`.
    """
    with store.connect() as conn:
        deadline = time.monotonic() + timeout
        last = None
        while time.monotonic() < deadline:
            now = store.rows(conn, "SELECT MAX(seq) FROM audit_events")
            if now == last:
                return
            last = now
            time.sleep(1.0)


_AWAITING = "SELECT COUNT(*) FROM items WHERE state IN ('pending', 'countersign')"


def item_states(store: Store) -> dict[str, int]:
    with store.connect() as conn:
        return {
            str(state): int(n)
            for state, n in store.rows(conn, "SELECT state, COUNT(*) FROM items GROUP BY state")
        }


def decision_body() -> str:
    return json.dumps({"action": "approve", "version": 1})
