"""Two `relay serve` on one PostgreSQL database, one of them killed with SIGKILL mid-burst.

Both processes serve one hub: the same database, keys/ and maildir (root/outbox). A burst of
letters and of decisions that deliver is split between them; A is killed once some of its own
requests were answered, and B finishes its share. Writes are serialised across processes by the
writers' advisory lock and the outbox claims notifications with leases, so afterwards:

- every acknowledged write is there once, and retrying every request against B applies each at
  most once (the same answer again, or the documented 409);
- each waiting letter was approved, and delivered, exactly once, and `relay audit verify`
  passes: the chain did not fork though two processes appended to it;
- once the leases A held have run out, B sends what A had claimed: every notification ends
  `sent`, one per (item, recipient), recorded sent once, and the maildir holds exactly their
  Message-IDs. Only a notification A had claimed may be sent twice (the resend overwrites the
  same file: same Message-ID).
"""

from __future__ import annotations

import asyncio
import email
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, TypeVar

import pytest

from relay.domain.hub import stamp
from relay.notify.mailer import MailSettings, message_id_for
from relay.storage import Store
from relay.storage.tx import Tx
from tests.backends import on_postgres
from tests.hardening import test_faults
from tests.hardening.test_faults import (
    Http,
    Hub,
    Request,
    Server,
    acknowledged_once,
    approved_once,
    audit_verifies,
    burst_requests,
    fire,
    http,
    opened,
    relay_env,
)

# The prepared hub and its per-test copy (its own database), and the servers' clean-up.
prepared = test_faults.prepared
hub = test_faults.hub
servers = test_faults.servers

pytestmark = pytest.mark.skipif(
    not on_postgres(),
    reason="several `relay serve` on one database is the PostgreSQL deployment "
    "(run with scripts/with-postgres)",
)

T = TypeVar("T")
WRITES = 40  # letters written in the burst, besides the decisions on the hub's waiting letters
# A dies once KILL_AFTER of its own requests were answered and, from then on, as soon as its
# outbox holds claims (so that B must take them over), or when only LAST of its requests are
# left unanswered, whichever comes first.
KILL_AFTER = 6
LAST = 4
# Seconds between two requests to one server: spreads the deliveries, hence the notifications
# to claim, over several passes of the two outboxes (each polls every second).
PACE = 0.05


async def until(
    store: Store, probe: Callable[[Tx], T], done: Callable[[T], bool], what: str, timeout: float
) -> T:
    """Poll the database (the servers are other processes: no event to wait on) until `done`
    holds of what `probe` reads, or fail after `timeout` seconds saying what was awaited."""
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        seen = await store.read(probe)
        if done(seen):
            return seen
        assert asyncio.get_running_loop().time() < deadline, f"{what}: {seen}"
        await asyncio.sleep(0.05)


def outbox_rows(tx: Tx) -> list[tuple[Any, ...]]:
    return [
        (row[0], row[1], row[2], row[3], row[4], row[5])
        for row in tx.rows(
            "SELECT n.id, n.item_id, n.participant_id, i.recipient_id, n.state, n.claimed_by "
            "FROM notifications n JOIN items i ON i.id = n.item_id ORDER BY n.id"
        )
    ]


def eml_files(outbox: Path) -> dict[str, int]:
    """The notifications written to the maildir: file name -> inode (a resend replaces it)."""
    return {p.name: p.stat().st_ino for p in outbox.glob("*.eml") if not p.name.startswith(".")}


async def test_two_servers_on_one_database_lose_and_double_nothing_when_one_is_killed(
    hub: Hub, servers: list[Server]
) -> None:
    a, b = Server(hub.root).launch(), Server(hub.root).launch()
    servers += [a, b]
    a.ready()
    b.ready()
    assert a.proc is not None
    a_worker = f"/{a.proc.pid}/"  # the outbox's name for its claims: host/pid/random

    requests = burst_requests(hub, WRITES)
    to_a, to_b = requests[0::2], requests[1::2]
    answered_by_a = 0
    armed, killed = asyncio.Event(), asyncio.Event()

    def kill_a() -> None:
        if not killed.is_set():
            killed.set()
            a.kill()

    def count() -> None:
        nonlocal answered_by_a
        answered_by_a += 1
        if answered_by_a == KILL_AFTER:
            armed.set()
        if answered_by_a == len(to_a) - LAST:
            kill_a()

    def a_holds_claims(tx: Tx) -> bool:
        return (
            tx.one(
                "SELECT 1 FROM notifications WHERE state = 'queued' AND claimed_by LIKE ?",
                (f"%{a_worker}%",),
            )
            is not None
        )

    async def kill_a_when_it_holds_claims(store: Store) -> None:
        while not killed.is_set():
            if armed.is_set() and await store.read(a_holds_claims):
                kill_a()
            await asyncio.sleep(0.005)  # polling another process's database

    async def paced(api: Http, share: list[Request], after: Callable[[], None]) -> None:
        sent = []
        for request in share:
            sent.append(asyncio.create_task(fire(api, [request], after)))
            await asyncio.sleep(PACE)
        await asyncio.gather(*sent)
        if api is api_a:
            killed.set()  # (A died by itself: the watcher stops, the assertions say so)

    async with opened(hub.root) as store, http(a) as api_a, http(b) as api_b:
        await asyncio.gather(
            kill_a_when_it_holds_claims(store),
            paced(api_a, to_a, count),
            paced(api_b, to_b, lambda: None),
        )
    lost = [r for r in requests if r.answer is None]
    assert KILL_AFTER <= len(to_a) - len(lost) < len(to_a), "A should die mid-burst"
    assert all(r.answer is not None for r in to_b), "B should answer all of its share"
    assert {r.answer[0] for r in requests if r.answer} <= {200, 201}

    async with http(b) as api_b:
        await acknowledged_once(hub, api_b, requests, lost, WRITES)
    await approved_once(hub)

    waiting = {item["id"] for item in hub.waiting}
    settings = MailSettings.from_env(relay_env(hub.root))
    outbox = hub.root / "outbox"
    async with opened(hub.root) as store:
        # Every item is delivered now (no delivery window), each with its notification. B
        # sends all of them but those A had claimed: their leases still run (LEASE, 5 min).
        def b_done(seen: list[tuple[Any, ...]]) -> bool:
            return {row[1] for row in seen} == waiting and all(
                row[4] == "sent" or (row[4] == "queued" and a_worker in (row[5] or ""))
                for row in seen
            )

        seen = await until(store, outbox_rows, b_done, "B sends what A did not claim", 20)
        held_by_a = {row[0] for row in seen if row[4] == "queued"}
        before = eml_files(outbox)

        # A's leases run out, as they would LEASE after its last claim: B takes them over.
        expired = stamp(datetime.now(UTC) - timedelta(seconds=1))
        await store.write(
            lambda tx: tx.run(
                "UPDATE notifications SET lease_until = ? "
                "WHERE state = 'queued' AND claimed_by LIKE ?",
                (expired, f"%{a_worker}%"),
            )
        )
        seen = await until(
            store,
            outbox_rows,
            lambda seen: all(row[4] == "sent" for row in seen),
            "B sends what A had claimed once A's leases ran out",
            20,
        )
        ids = {row[0] for row in seen}
        assert sorted((row[1], row[2]) for row in seen) == sorted(
            (row[1], row[3]) for row in seen
        ), "a notification went to someone other than the item's recipient"
        assert sorted(row[1] for row in seen) == sorted(waiting), "one notification per item"

        def events(tx: Tx) -> dict[str, list[tuple[Any, ...]]]:
            counts = {}
            for action in ("item.delivered", "notification.sent"):
                counts[action] = [
                    (row[0], row[1])
                    for row in tx.rows(
                        "SELECT subject, COUNT(*) FROM audit_events WHERE action = ? "
                        "GROUP BY subject ORDER BY subject",
                        (action,),
                    )
                ]
            return counts

        counted = await store.read(events)
        assert counted["item.delivered"] == sorted((item, 1) for item in waiting)
        assert counted["notification.sent"] == sorted((n, 1) for n in ids)
        leftover = await store.read(
            lambda tx: tx.rows(
                "SELECT id, attempts, claimed_by, lease_until FROM notifications "
                "WHERE attempts <> 1 OR claimed_by IS NOT NULL OR lease_until IS NOT NULL"
            )
        )
        assert [tuple(row) for row in leftover] == []

    after = eml_files(outbox)
    expected = {message_id_for(n, settings) for n in ids}
    found = []
    for name in after:
        message_id = email.message_from_bytes((outbox / name).read_bytes())["Message-ID"]
        assert message_id == f"<{name.removesuffix('.eml')}@{settings.domain}>", name
        found.append(message_id)
    assert sorted(found) == sorted(expected)
    # Sent once: a file B or A wrote before the leases ran out is never written again, unless
    # its notification was one A had claimed (A may have sent it before dying unrecorded).
    resent = {name for name in before if after[name] != before[name]}
    assert resent <= {f"{n}.eml" for n in held_by_a}
    # A file A was writing when it died (mkstemp's name, never renamed) is one it had claimed.
    for path in outbox.glob(".tmp-*"):
        message_id = email.message_from_bytes(path.read_bytes())["Message-ID"]
        assert message_id is None or message_id in {
            message_id_for(n, settings) for n in held_by_a
        }, path.name

    b.stop()
    audit_verifies(hub.root)
