"""The database handle: statements on the loop, whole-store reads aside, grouped commits."""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path

import pytest

from relay.storage import Database, Row

# About a few hundred milliseconds of pure SQLite work, whatever the store holds.
SLOW = (
    "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 3000000) "
    "SELECT COUNT(*) FROM n"
)


@pytest.fixture
async def db(tmp_path: Path) -> AsyncIterator[Database]:
    handle = await Database(tmp_path / "relay.db").open()
    yield handle
    await handle.close()


async def _ticks_during(work: Callable[[], Awaitable[list[Row]]]) -> tuple[int, list[Row]]:
    ticks = 0

    async def ticker() -> None:
        nonlocal ticks
        while True:
            await asyncio.sleep(0.005)
            ticks += 1

    task = asyncio.create_task(ticker())
    await asyncio.sleep(0)
    try:
        rows = await work()
    finally:
        task.cancel()
    return ticks, rows


async def test_a_whole_store_read_aside_leaves_the_event_loop_free(db: Database) -> None:
    started = time.perf_counter()
    ticks, rows = await _ticks_during(lambda: db.read_aside(SLOW))
    elapsed = time.perf_counter() - started
    assert rows[0][0] == 3000000
    assert elapsed > 0.05
    # The loop kept ticking through the read (at most one tick per 5 ms; a loaded machine
    # gives it fewer, but more than the one a held loop manages, below).
    assert ticks >= 5


async def test_ordinary_statements_run_on_the_loop_itself(db: Database) -> None:
    """Why read_aside exists: the same query through the reader holds the loop throughout."""
    ticks, rows = await _ticks_during(lambda: db.reader.execute_fetchall(SLOW))
    assert rows[0][0] == 3000000
    assert ticks <= 1


async def test_concurrent_writers_all_commit_and_an_error_undoes_only_its_own_work(
    db: Database,
) -> None:
    async with db.write() as conn:
        await conn.execute("CREATE TABLE t (n INTEGER PRIMARY KEY)")

    async def insert(n: int) -> None:
        async with db.write() as conn:
            await conn.execute("INSERT INTO t VALUES (?)", (n,))
            if n % 5 == 0:
                raise ValueError(n)

    results = await asyncio.gather(*(insert(n) for n in range(1, 41)), return_exceptions=True)
    failed = {r.args[0] for r in results if isinstance(r, ValueError)}
    assert failed == set(range(5, 41, 5))
    rows = await db.reader.execute_fetchall("SELECT n FROM t ORDER BY n")
    assert [row[0] for row in rows] == [n for n in range(1, 41) if n % 5]


# Checkpoints beside the writer (relay/storage/checkpoints.py) ------------------------------


async def _write_blobs(db: Database, count: int) -> None:
    async with db.write() as conn:
        await conn.execute("CREATE TABLE IF NOT EXISTS blobs (n INTEGER PRIMARY KEY, b BLOB)")
    for _ in range(count):  # one transaction (and one COMMIT) each, never a pause between
        async with db.write() as conn:
            await conn.execute("INSERT INTO blobs (b) VALUES (randomblob(5000))")


async def test_the_wal_is_copied_and_restarted_beside_a_writer_that_never_pauses(
    db: Database,
) -> None:
    db.checkpoints.every = 0.0
    await _write_blobs(db, 1500)
    # Each row takes two pages, so the writes put 3,000+ frames (12+ MB) into the WAL. Copied
    # beside the writer and finished by it, the WAL restarts from its start again and again
    # and its file stays a fraction of that (without any checkpoint it held every frame).
    wal = db.path.with_name(db.path.name + "-wal")
    assert db.checkpoints.copies >= 3
    assert wal.stat().st_size < 12_000_000 / 3
    rows = await db.reader.execute_fetchall("SELECT COUNT(*) FROM blobs")
    assert rows[0][0] == 1500
    check = await db.reader.execute_fetchall("PRAGMA integrity_check")
    assert check[0][0] == "ok"


async def test_a_checkpoint_that_fails_beside_the_writer_costs_no_write(
    db: Database, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    def broken() -> None:
        raise OSError("disk unplugged")

    monkeypatch.setattr(db.checkpoints, "_copy", broken)
    db.checkpoints.every = 0.0
    await _write_blobs(db, 50)
    await asyncio.sleep(0.05)
    rows = await db.reader.execute_fetchall("SELECT COUNT(*) FROM blobs")
    assert rows[0][0] == 50
    assert db.checkpoints.copies == 0
    assert not db.checkpoints.finish_now()
    assert "checkpoint beside the writer failed: disk unplugged" in caplog.text


async def test_a_truncating_checkpoint_waits_for_one_beside_the_writer(
    db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Shredding truncates the WAL (so no old page of a destroyed key stays in it). SQLite's
    TRUNCATE gives up at once (busy) while another connection checkpoints, so it must wait for
    a copy running beside the writer."""
    copying, release = threading.Event(), threading.Event()
    real_copy = db.checkpoints._copy

    def slow_copy() -> None:
        copying.set()
        release.wait(5)
        real_copy()

    monkeypatch.setattr(db.checkpoints, "_copy", slow_copy)
    db.checkpoints.every = 0.0
    await _write_blobs(db, 50)  # the first COMMIT starts a copy, held in slow_copy
    assert copying.wait(5)
    truncate = asyncio.create_task(db.checkpoint())
    await asyncio.sleep(0.2)
    assert not truncate.done()
    release.set()
    busy, _frames, _done = await asyncio.wait_for(truncate, 10)
    assert busy == 0
    assert db.path.with_name(db.path.name + "-wal").stat().st_size == 0
    rows = await db.reader.execute_fetchall("SELECT COUNT(*) FROM blobs")
    assert rows[0][0] == 50
