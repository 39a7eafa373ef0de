"""The store: every transaction is a plain function of a `Tx`, run off the event loop.

Modelled on datasette's `execute_write_fn`: `await store.write(fn)` hands `fn` to the one
writer thread and `await store.read(fn)` to a reader thread; each is one hand-off, however
many statements `fn` runs. Because `fn` is an ordinary function, nothing can be awaited while
a transaction is open: a slow request body, a letter scan, a password hash or an attachment
clean happen before or after it, never inside, so no client can hold the writer.

Group commit: with `synchronous=FULL` each COMMIT waits for an fsync, and with one writer that
fsync bounds how many writes a second the hub takes. So the writer thread runs every function
queued meanwhile in one transaction, each in its own savepoint (its error undoes only its own
work), commits once, and only then answers each caller. Nothing is acknowledged before it is
durable; a failed COMMIT fails every member with `StorageUnavailable`.
"""

from __future__ import annotations

import asyncio
import logging
import queue
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from relay.crypto import CaseCipher, KeyStore
from relay.domain.errors import Conflict, NotFound
from relay.storage import idempotency, migrate
from relay.storage.backends import SQLite, backend_for
from relay.storage.checkpoints import BACKSTOP_PAGES, FINISH, Checkpointer
from relay.storage.errors import StorageUnavailable
from relay.storage.tx import Tx, translate

log = logging.getLogger("relay.storage")
T = TypeVar("T")
MAX_BATCH = 64  # functions per group commit: bounds how long the first one waits
READERS = 4  # reader threads (and connections)


@dataclass
class _Job:
    fn: Callable[[Any], Any]  # of a Tx; with `raw`, of the writer's connection
    future: asyncio.Future[Any]
    loop: asyncio.AbstractEventLoop
    raw: bool = False  # run on the writer's connection outside any transaction
    outcome: tuple[bool, Any] = (False, None)
    after: list[Callable[[], None]] = field(default_factory=list)


def _settle(future: asyncio.Future[Any], ok: bool, value: Any) -> None:
    if future.cancelled():
        return
    if ok:
        future.set_result(value)
    else:
        future.set_exception(value)


class _Ciphers:
    """Unwrapped case keys, cached; dropped when a case's key is destroyed."""

    def __init__(self, keys: KeyStore) -> None:
        self.keys = keys
        self._cache: dict[str, CaseCipher] = {}

    def cipher(self, tx: Tx, case_id: str) -> CaseCipher:
        cached = self._cache.get(case_id)
        if cached is not None and (tx.dialect == "sqlite" or _key_kept(tx, case_id)):
            # (On PostgreSQL another process may have shredded the case meanwhile: checked once
            # per transaction.)
            return cached
        row = tx.one("SELECT data_key FROM cases WHERE id = ?", (case_id,))
        if row is None:
            raise NotFound()
        if row[0] is None:
            raise Conflict("This case's content has been destroyed under the retention policy.")
        cipher = CaseCipher(case_id, self.keys.unwrap(case_id, bytes(row[0])))
        self._cache[case_id] = cipher
        return cipher

    def forget(self, case_id: str) -> None:
        self._cache.pop(case_id, None)


def _key_kept(tx: Tx, case_id: str) -> bool:
    memo = ("key_kept", case_id)
    if memo not in tx.memo:
        row = tx.one("SELECT 1 FROM cases WHERE id = ? AND data_key IS NOT NULL", (case_id,))
        tx.memo[memo] = row is not None
    return bool(tx.memo[memo])


class Store:
    """The database, opened once per process: `write(fn)`, `read(fn)`, migrations, backups."""

    def __init__(self, keys: KeyStore, *, path: Path, url: str | None = None) -> None:
        self.backend = backend_for(url, path)
        self.dialect = self.backend.dialect
        self.ciphers = _Ciphers(keys)
        self._jobs: queue.SimpleQueue[_Job | None] = queue.SimpleQueue()
        self._writer_thread: threading.Thread | None = None
        self._writer_conn: Any = None
        self._readers = ThreadPoolExecutor(READERS, thread_name_prefix="relay-read")
        self._reader_conns: list[Any] = []
        self._local = threading.local()
        self._closed = False
        self.checkpoints: Checkpointer | None = None
        if isinstance(self.backend, SQLite):
            self.checkpoints = Checkpointer(self.backend.path)

    # -- lifecycle --------------------------------------------------------------------------
    async def open(self) -> Store:
        """Connect, apply migrations, start the writer thread."""
        ready: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        loop = asyncio.get_running_loop()
        self._writer_thread = threading.Thread(
            target=self._writer_main, args=(loop, ready), name="relay-writer", daemon=True
        )
        self._writer_thread.start()
        await ready
        return self

    async def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        if self._writer_thread is not None:
            self._jobs.put(None)
            await asyncio.to_thread(self._writer_thread.join)
        if self.checkpoints is not None:
            await self.checkpoints.close()
        await asyncio.to_thread(self._close_readers)

    def _close_readers(self) -> None:
        self._readers.shutdown(wait=True)
        for conn in self._reader_conns:
            conn.close()
        self._reader_conns.clear()

    # -- the writer -------------------------------------------------------------------------
    async def write(self, fn: Callable[[Tx], T]) -> T:
        """Run `fn(tx)` in a write transaction on the writer thread; its result once durable.

        In a request carrying an Idempotency-Key (storage/idempotency.py), the first write also
        reserves the key in the same transaction: the change and the key commit together.
        """
        pending = idempotency.PENDING.get()
        if pending is None or pending.consumed:
            return await self._submit(fn, raw=False)
        pending.consumed = True
        try:
            result = await self._submit(pending.reserving(fn), raw=False)
        except Exception:
            pending.consumed = False  # rolled back, key and all: a later write reserves it
            raise
        pending.reserved = True
        return result

    async def _submit(self, fn: Callable[[Any], Any], *, raw: bool) -> Any:
        if self._closed or self._writer_thread is None:
            raise StorageUnavailable("the database is not open")
        loop = asyncio.get_running_loop()
        job = _Job(fn, loop.create_future(), loop, raw=raw)
        self._jobs.put(job)
        # Shielded: a cancelled request leaves its transaction to finish (or not) as a whole.
        return await asyncio.shield(job.future)

    def _writer_main(self, loop: asyncio.AbstractEventLoop, ready: asyncio.Future[None]) -> None:
        try:
            self._writer_conn = self.backend.connect(writer=True)
            if isinstance(self.backend, SQLite):
                # Checkpoints run beside the writer (checkpoints.py); its own are a backstop.
                self._writer_conn.execute(f"PRAGMA wal_autocheckpoint={BACKSTOP_PAGES}")
            migrate.apply(self._writer_conn, self.backend)
        except BaseException as exc:
            error = translate(exc)
            loop.call_soon_threadsafe(_settle, ready, False, error)
            return
        loop.call_soon_threadsafe(_settle, ready, True, None)
        try:
            while True:
                job = self._jobs.get()
                if job is None:
                    break
                batch = [job]
                while len(batch) < MAX_BATCH and not job.raw:
                    try:
                        nxt = self._jobs.get_nowait()
                    except queue.Empty:
                        break
                    if nxt is None:
                        self._jobs.put(None)  # finish this batch, then stop
                        break
                    if nxt.raw:
                        self._run_batch(batch)
                        batch = [nxt]
                        break
                    batch.append(nxt)
                self._run_batch(batch)
        finally:
            self._writer_conn.close()

    def _run_batch(self, batch: list[_Job]) -> None:
        if batch[0].raw:
            self._run_raw(batch[0])
        else:
            self._run_transaction(batch)
        for job in batch:
            if job.outcome[0]:
                for callback in job.after:
                    callback()
            job.loop.call_soon_threadsafe(_settle, job.future, *job.outcome)

    def _run_raw(self, job: _Job) -> None:
        try:
            job.outcome = (True, job.fn(self._writer_conn))
        except BaseException as exc:
            job.outcome = (False, translate(exc))

    def _run_transaction(self, batch: list[_Job]) -> None:
        conn = self._writer_conn
        try:
            self.backend.begin_write(conn)
        except BaseException as exc:
            self._fail_all(batch, f"could not start a write: {exc}")
            self._reconnect_if_broken()
            return
        alone = len(batch) == 1
        for job in batch:
            tx = Tx(conn, self.dialect, self.ciphers, writable=True)
            try:
                if not alone:
                    conn.execute("SAVEPOINT tx")
                result = job.fn(tx)
                if not alone:
                    conn.execute("RELEASE tx")
                job.outcome = (True, result)
            except BaseException as exc:
                job.outcome = (False, translate(exc))
                if alone:
                    self._rollback()
                    tx.close()
                    return
                try:
                    conn.execute("ROLLBACK TO tx")
                    conn.execute("RELEASE tx")
                except BaseException as undo:  # the whole group is lost: say so to everyone
                    self._rollback()
                    self._fail_all(batch, f"could not write: {undo}", keep_errors=True)
                    tx.close()
                    return
            job.after = tx.close()
        self._commit(batch)

    def _commit(self, batch: list[_Job]) -> None:
        conn = self._writer_conn
        finish = self.checkpoints is not None and self.checkpoints.finish_now()
        try:
            conn.execute("COMMIT")
        except BaseException as exc:
            self._rollback()
            self._fail_all(batch, f"could not commit: {exc}", keep_errors=True)
            self._reconnect_if_broken()
            return
        if finish:
            try:
                conn.execute(FINISH).fetchall()
            except Exception as exc:  # committed all the same; the next one will do
                log.warning("WAL checkpoint after a commit failed: %s", exc)
        if self.checkpoints is not None:
            batch[0].loop.call_soon_threadsafe(self.checkpoints.committed)

    def _rollback(self) -> None:
        try:
            self._writer_conn.execute("ROLLBACK")
        except Exception:  # no transaction left to roll back (SQLite may have done it)
            log.debug("rollback after a failed write found no transaction", exc_info=True)

    def _fail_all(self, batch: list[_Job], reason: str, *, keep_errors: bool = False) -> None:
        for job in batch:
            if keep_errors and not job.outcome[0] and job.outcome[1] is not None:
                continue
            job.outcome = (False, StorageUnavailable(reason))
            job.after = []

    def _reconnect_if_broken(self) -> None:
        """PostgreSQL: a dropped connection is replaced before the next transaction."""
        if getattr(self._writer_conn, "closed", False):
            try:
                self._writer_conn = self.backend.connect(writer=True)
            except StorageUnavailable as exc:
                log.error("%s", exc)

    # -- readers ----------------------------------------------------------------------------
    async def read(self, fn: Callable[[Tx], T], *, snapshot: bool = True) -> T:
        """Run `fn(tx)` read-only on a reader thread.

        With `snapshot` (the default) every statement of `fn` sees one consistent state. A
        single-statement read can pass `snapshot=False`: on PostgreSQL that saves the BEGIN
        and COMMIT round trips (SQLite's are in-process and cheap either way).
        """
        if self._closed:
            raise StorageUnavailable("the database is not open")
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._readers, self._read_here, fn, snapshot)

    def _reader_connection(self) -> Any:
        conn = getattr(self._local, "conn", None)
        if conn is None or getattr(conn, "closed", False):
            conn = self.backend.connect(writer=False)
            self._local.conn = conn
            self._reader_conns.append(conn)
        return conn

    def _read_here(self, fn: Callable[[Tx], T], snapshot: bool) -> T:
        conn = self._reader_connection()
        tx = Tx(conn, self.dialect, self.ciphers, writable=False)
        if snapshot or self.dialect == "sqlite":
            try:
                self.backend.begin_read(conn)
            except Exception as exc:
                self._local.conn = None
                raise translate(exc) from exc
        try:
            return fn(tx)
        except Exception as exc:
            raise translate(exc) from exc
        finally:
            tx.close()
            if snapshot or self.dialect == "sqlite":
                try:
                    conn.execute("COMMIT")
                except Exception:  # a broken connection: the next read opens another
                    self._local.conn = None

    # -- maintenance ------------------------------------------------------------------------
    async def checkpoint(self) -> tuple[int, int, int] | None:
        """SQLite: copy the WAL into the file and truncate it, so no destroyed page stays there;
        (busy, log, checkpointed) frames. PostgreSQL (None) keeps its own WAL: destroying a key
        never relies on the database forgetting.
        """
        if self.checkpoints is None:
            return None
        # No copy may run beside a TRUNCATE checkpoint (it would give up at once as busy).
        await self.checkpoints.idle()
        rows = await self._submit(
            lambda conn: conn.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchall(), raw=True
        )
        busy, frames, done = rows[0]
        return int(busy), int(frames), int(done)

    async def backup(self, target: Path) -> None:
        """SQLite's online backup into `target`, off the loop (PostgreSQL: use pg_dump)."""
        if not isinstance(self.backend, SQLite):
            raise StorageUnavailable("back up PostgreSQL with pg_dump")
        path = self.backend.path

        def copy() -> None:
            import sqlite3

            source = sqlite3.connect(path)
            dest = sqlite3.connect(target)
            try:
                source.backup(dest)
            finally:
                dest.close()
                source.close()

        await asyncio.to_thread(copy)

    def describe(self) -> str:
        return self.backend.describe()
