"""The store: transactions are plain functions run off the event loop, grouped at commit."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from relay.crypto import KeyStore
from relay.storage import StorageUnavailable, Store, TransactionClosed, Tx
from relay.storage.backends import SQLite
from tests.backends import on_postgres


@pytest.fixture
async def store(tmp_path: Path, database_url: str | None) -> AsyncIterator[Store]:
    keys = KeyStore.create(tmp_path / "keys")
    handle = await Store(keys, path=tmp_path / "relay.db", url=database_url).open()
    await handle.write(lambda tx: tx.run("CREATE TABLE t (n INTEGER PRIMARY KEY, b TEXT)"))
    yield handle
    await handle.close()


async def test_concurrent_writers_all_commit_and_an_error_undoes_only_its_own_work(
    store: Store,
) -> None:
    def insert(tx: Tx, n: int) -> int:
        tx.run("INSERT INTO t (n) VALUES (?)", (n,))
        if n % 5 == 0:
            raise ValueError(n)
        return n

    results = await asyncio.gather(
        *(store.write(lambda tx, n=n: insert(tx, n)) for n in range(1, 41)),
        return_exceptions=True,
    )
    failed = {r.args[0] for r in results if isinstance(r, ValueError)}
    assert failed == set(range(5, 41, 5))
    rows = await store.read(lambda tx: tx.rows("SELECT n FROM t ORDER BY n"))
    assert [row[0] for row in rows] == [n for n in range(1, 41) if n % 5]


async def test_a_transaction_function_cannot_reach_the_event_loop(store: Store) -> None:
    """Nothing can be awaited inside a transaction: it runs on the writer thread, where no
    loop runs, so it can neither await nor start a task."""

    def sneaky(tx: Tx) -> None:
        tx.run("INSERT INTO t (n) VALUES (1)")
        asyncio.get_running_loop()  # raises: no loop on the writer thread

    with pytest.raises(RuntimeError, match="no running event loop"):
        await store.write(sneaky)
    assert await store.read(lambda tx: tx.value("SELECT COUNT(*) FROM t")) == 0


async def test_a_handle_kept_after_its_transaction_cannot_write(store: Store) -> None:
    kept: list[Tx] = []
    await store.write(lambda tx: kept.append(tx))
    with pytest.raises(TransactionClosed):
        kept[0].run("INSERT INTO t (n) VALUES (2)")
    assert await store.read(lambda tx: tx.value("SELECT COUNT(*) FROM t")) == 0


async def test_another_thread_cannot_use_a_transaction_while_it_runs(store: Store) -> None:
    """A thread (or a task on another loop) started inside a write gets no access to it."""
    errors: list[BaseException] = []

    def spawn(tx: Tx) -> None:
        def other() -> None:
            try:
                tx.run("INSERT INTO t (n) VALUES (3)")
            except BaseException as exc:
                errors.append(exc)

        thread = threading.Thread(target=other)
        thread.start()
        thread.join()

    await store.write(spawn)
    assert len(errors) == 1 and isinstance(errors[0], TransactionClosed)
    assert await store.read(lambda tx: tx.value("SELECT COUNT(*) FROM t")) == 0


async def test_a_read_cannot_change_anything(store: Store) -> None:
    with pytest.raises(TransactionClosed):
        await store.read(lambda tx: tx.run("INSERT INTO t (n) VALUES (4)"))


async def test_a_held_read_stalls_neither_the_loop_nor_other_reads_and_writes(
    store: Store,
) -> None:
    """A read that takes long (a cold cache, a big report) waits on its own thread."""
    entered, release = threading.Event(), threading.Event()

    def slow(tx: Tx) -> int:
        entered.set()
        release.wait(30)
        return int(tx.value("SELECT COUNT(*) FROM t"))

    held = asyncio.ensure_future(store.read(slow))
    assert await asyncio.to_thread(entered.wait, 30)
    # Meanwhile the loop, the writer and the other readers all carry on.
    await asyncio.wait_for(store.write(lambda tx: tx.run("INSERT INTO t (n) VALUES (5)")), 30)
    assert await asyncio.wait_for(store.read(lambda tx: tx.value("SELECT n FROM t")), 30) == 5
    assert not held.done()
    release.set()
    assert await held in (0, 1)


async def test_a_held_write_does_not_hold_the_loop(store: Store) -> None:
    entered, release = threading.Event(), threading.Event()

    def slow(tx: Tx) -> None:
        entered.set()
        release.wait(30)
        tx.run("INSERT INTO t (n) VALUES (6)")

    held = asyncio.ensure_future(store.write(slow))
    assert await asyncio.to_thread(entered.wait, 30)
    # Reads still answer (from the last committed state) while the writer is busy.
    assert (
        await asyncio.wait_for(store.read(lambda tx: tx.value("SELECT COUNT(*) FROM t")), 30) == 0
    )
    release.set()
    await held
    assert await store.read(lambda tx: tx.value("SELECT COUNT(*) FROM t")) == 1


async def test_a_closed_store_says_so(tmp_path: Path, database_url: str | None) -> None:
    keys = KeyStore.create(tmp_path / "keys")
    store = await Store(keys, path=tmp_path / "relay.db", url=database_url).open()
    await store.close()
    with pytest.raises(StorageUnavailable):
        await store.write(lambda tx: None)
    with pytest.raises(StorageUnavailable):
        await store.read(lambda tx: None)


# Checkpoints beside the writer (SQLite only; relay/storage/checkpoints.py) ------------------

sqlite_only = pytest.mark.skipif(on_postgres(), reason="SQLite's WAL checkpoints")


async def _write_blobs(store: Store, count: int) -> None:
    await store.write(
        lambda tx: tx.run("CREATE TABLE IF NOT EXISTS blobs (n INTEGER PRIMARY KEY, b BLOB)")
    )
    for _ in range(count):  # one transaction (and one COMMIT) each
        await store.write(lambda tx: tx.run("INSERT INTO blobs (b) VALUES (randomblob(5000))"))


@sqlite_only
async def test_the_wal_is_copied_and_restarted_beside_a_writer_that_never_pauses(
    store: Store,
) -> None:
    assert store.checkpoints is not None and isinstance(store.backend, SQLite)
    store.checkpoints.every = 0.0
    await _write_blobs(store, 1500)
    # Each row takes two pages, so the writes put 3,000+ frames (12+ MB) into the WAL. Copied
    # beside the writer and finished by it, the WAL restarts from its start again and again.
    wal = store.backend.path.with_name(store.backend.path.name + "-wal")
    assert store.checkpoints.copies >= 3
    assert wal.stat().st_size < 12_000_000 / 3
    assert await store.read(lambda tx: tx.value("SELECT COUNT(*) FROM blobs")) == 1500
    assert await store.read(lambda tx: tx.value("PRAGMA integrity_check")) == "ok"


@sqlite_only
async def test_a_checkpoint_that_fails_beside_the_writer_costs_no_write(
    store: Store, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    assert store.checkpoints is not None
    tried = threading.Event()

    def broken() -> None:
        tried.set()
        raise OSError("disk unplugged")

    monkeypatch.setattr(store.checkpoints, "_copy", broken)
    store.checkpoints.every = 0.0
    await _write_blobs(store, 50)
    assert await asyncio.to_thread(tried.wait, 30)
    await store.checkpoints.idle()
    assert await store.read(lambda tx: tx.value("SELECT COUNT(*) FROM blobs")) == 50
    assert store.checkpoints.copies == 0
    assert not store.checkpoints.finish_now()
    assert "checkpoint beside the writer failed: disk unplugged" in caplog.text


@sqlite_only
async def test_a_truncating_checkpoint_waits_for_one_beside_the_writer(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Shredding truncates the WAL (so no old page of a destroyed key stays in it). SQLite's
    TRUNCATE gives up at once (busy) while another connection checkpoints, so it must wait for
    a copy running beside the writer."""
    assert store.checkpoints is not None and isinstance(store.backend, SQLite)
    copying, release = threading.Event(), threading.Event()
    real_copy = store.checkpoints._copy

    def slow_copy() -> None:
        copying.set()
        release.wait(30)
        real_copy()

    monkeypatch.setattr(store.checkpoints, "_copy", slow_copy)
    store.checkpoints.every = 0.0
    await _write_blobs(store, 50)  # the first COMMIT starts a copy, held in slow_copy
    assert await asyncio.to_thread(copying.wait, 30)
    truncate = asyncio.ensure_future(store.checkpoint())
    # Let the checkpoint reach its wait (it cannot finish while the copy is held).
    for _ in range(20):
        await asyncio.sleep(0)
    assert not truncate.done()
    release.set()
    result = await asyncio.wait_for(truncate, 30)
    assert result is not None and result[0] == 0
    assert store.backend.path.with_name(store.backend.path.name + "-wal").stat().st_size == 0
    assert await store.read(lambda tx: tx.value("SELECT COUNT(*) FROM blobs")) == 50


async def test_a_read_without_a_snapshot_sees_what_was_committed(store: Store) -> None:
    await store.write(lambda tx: tx.run("INSERT INTO t (n, b) VALUES (7, 'seven')"))
    found = await store.read(
        lambda tx: tx.value("SELECT b FROM t WHERE n = ?", (7,)), snapshot=False
    )
    assert found == "seven"
    with pytest.raises(TransactionClosed):
        await store.read(lambda tx: tx.run("DELETE FROM t"), snapshot=False)
