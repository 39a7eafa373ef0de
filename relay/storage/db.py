"""The database handle: WAL, one serialised writer, one reader, migrations at open.

Statements run on the event loop's thread (see `connection.py` for why); BEGIN IMMEDIATE,
COMMIT and checkpoints, which can wait on locks or an fsync, run on one thread of their own,
and reads that grow with the whole store (`read_aside`) on another, with their own connection.
WAL checkpoints mostly run beside the writer (`checkpoints.py`).
Transactions from different tasks on the shared writer would interleave, so writes go through
`write()`, which holds an asyncio.Lock from BEGIN IMMEDIATE to COMMIT. `write()` is re-entrant
within a task (nested blocks become savepoints), so a request can wrap a domain call and its
idempotency record in one transaction.

Group commit: with synchronous=FULL every COMMIT waits for an fsync of the WAL (milliseconds on
a virtual disk), and with one writer that fsync, not the work, bounds how many writes a second
the hub can take. So writers that queue behind the lock share one transaction: each runs in
its own savepoint (its error undoes only its own work), the last in the queue (or the
MAX_BATCH-th) commits, and every member waits for that COMMIT before `write()` returns. Nothing
is acknowledged before it is durable, and a failed COMMIT fails every member with
StorageUnavailable, exactly as it failed a lone writer before.
"""

from __future__ import annotations

import asyncio
import contextvars
import logging
import re
import sqlite3
from collections.abc import AsyncIterator, Callable, Coroutine, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import asynccontextmanager
from importlib import resources
from pathlib import Path
from typing import TypeVar

from relay.storage.checkpoints import BACKSTOP_PAGES, FINISH, Checkpointer
from relay.storage.connection import Connection, Row

log = logging.getLogger("relay.storage")
_MIGRATION = re.compile(r"^(\d{4})_(\w+)\.sql$")
MAX_BATCH = 64  # writers per group commit: bounds how long the first one waits
_current: contextvars.ContextVar[tuple[Database, int] | None] = contextvars.ContextVar(
    "relay_tx", default=None
)


class StorageUnavailable(RuntimeError):
    """The database cannot be written (read-only, disk full, locked too long)."""


def _retrieve(batch: asyncio.Future[None]) -> None:
    # A group's failure may have no member left to await it; don't log it as unretrieved.
    if not batch.cancelled():
        batch.exception()


_T = TypeVar("_T")


async def fetch_all(conn: Connection, sql: str, params: Sequence[object] = ()) -> list[Row]:
    """All rows of a query."""
    return await conn.execute_fetchall(sql, params)


def migrations() -> list[tuple[int, str, str]]:
    """(number, name, sql) of every packaged migration, in order."""
    folder = resources.files("relay.storage") / "migrations"
    found = []
    for entry in folder.iterdir():
        match = _MIGRATION.match(entry.name)
        if match:
            found.append((int(match.group(1)), match.group(2), entry.read_text("utf-8")))
    return sorted(found)


async def _connect(path: Path) -> Connection:
    conn = Connection.open(path)
    # WAL: readers never block the writer. synchronous=FULL: an acknowledged decision survives
    # power loss too, not only a process crash (NORMAL would risk the last commits).
    # secure_delete: shredded keys and deleted rows are overwritten, not left in free pages.
    for pragma in (
        "journal_mode=WAL",
        "synchronous=FULL",
        "foreign_keys=ON",
        "busy_timeout=5000",
        "secure_delete=ON",
    ):
        await conn.execute(f"PRAGMA {pragma}")
    return conn


class Database:
    def __init__(self, path: Path) -> None:
        self.path = path
        self._writer: Connection | None = None
        self._reader: Connection | None = None
        self._lock = asyncio.Lock()
        self._queued = 0  # writers waiting for the lock
        self._batch: asyncio.Future[None] | None = None  # the open group's COMMIT outcome
        self._members = 0
        self._committers: set[asyncio.Task[None]] = set()
        # BEGIN, COMMIT and checkpoints wait here, off the loop, one at a time.
        self._waits = ThreadPoolExecutor(max_workers=1, thread_name_prefix="relay-commit")
        # Reads that grow with the whole store (reports) run here, on a connection of their own.
        self._aside = ThreadPoolExecutor(max_workers=1, thread_name_prefix="relay-read-aside")
        self._aside_conn: sqlite3.Connection | None = None
        self.checkpoints = Checkpointer(path)

    async def _off_loop(self, call: Callable[[], _T]) -> _T:
        return await asyncio.get_running_loop().run_in_executor(self._waits, call)

    async def open(self) -> Database:
        self._writer = await _connect(self.path)
        # Checkpoints run beside the writer (checkpoints.py); its own are only a backstop.
        await self._writer.execute(f"PRAGMA wal_autocheckpoint={BACKSTOP_PAGES}")
        await self.migrate()
        self._reader = await _connect(self.path)
        await self._reader.execute("PRAGMA query_only=ON")
        return self

    async def close(self) -> None:
        if self._committers:
            await asyncio.gather(*self._committers, return_exceptions=True)
        await self.checkpoints.close()
        for conn in (self._reader, self._writer):
            if conn is not None:
                await conn.close()
        self._reader = self._writer = None
        self._waits.shutdown(wait=True)
        if self._aside_conn is not None:
            self._aside.submit(self._aside_conn.close).result()
            self._aside_conn = None
        self._aside.shutdown(wait=True)

    @property
    def reader(self) -> Connection:
        if self._reader is None:
            raise StorageUnavailable("the database is not open")
        return self._reader

    async def migrate(self) -> list[int]:
        """Apply every migration not yet recorded; return the numbers applied."""
        assert self._writer is not None
        conn = self._writer
        await conn.execute(
            "CREATE TABLE IF NOT EXISTS schema_migrations "
            "(version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)"
        )
        done = {
            row[0] for row in await conn.execute_fetchall("SELECT version FROM schema_migrations")
        }
        applied = []
        for number, name, sql in migrations():
            if number in done:
                continue
            script = (
                f"BEGIN IMMEDIATE;\n{sql}\n"
                f"INSERT INTO schema_migrations VALUES ({number}, '{name}', "
                "strftime('%Y-%m-%dT%H:%M:%SZ', 'now'));\nCOMMIT;"
            )
            try:
                await conn.executescript(script)
            except sqlite3.Error:
                if conn.in_transaction:
                    await conn.execute("ROLLBACK")
                raise
            applied.append(number)
        return applied

    @asynccontextmanager
    async def write(self) -> AsyncIterator[Connection]:
        """A write transaction (BEGIN IMMEDIATE … COMMIT); nested use makes a savepoint."""
        if self._writer is None:
            raise StorageUnavailable("the database is not open")
        current = _current.get()
        if current is not None and current[0] is self:
            depth = current[1] + 1
            name = f"sp{depth}"
            token = _current.set((self, depth))
            await self._writer.execute(f"SAVEPOINT {name}")
            try:
                yield self._writer
            except BaseException:
                await self._writer.execute(f"ROLLBACK TO {name}")
                await self._writer.execute(f"RELEASE {name}")
                raise
            else:
                await self._writer.execute(f"RELEASE {name}")
            finally:
                _current.reset(token)
            return
        self._queued += 1
        try:
            await self._lock.acquire()
        except BaseException:
            self._queued -= 1
            self._flush_if_abandoned()
            raise
        self._queued -= 1
        token = _current.set((self, 0))
        batch: asyncio.Future[None] | None = None
        try:
            if self._batch is None:
                await self._begin()
                self._batch = asyncio.get_running_loop().create_future()
                self._batch.add_done_callback(_retrieve)
                self._members = 0
            await self._savepoint("SAVEPOINT tx")
            try:
                yield self._writer
            except BaseException:
                await self._savepoint("ROLLBACK TO tx", "RELEASE tx")
                raise
            await self._savepoint("RELEASE tx")
            batch = self._batch
            self._members += 1
        finally:
            _current.reset(token)
            if self._batch is not None and (self._queued == 0 or self._members >= MAX_BATCH):
                # A task of its own, which a cancelled request cannot interrupt, commits and
                # then hands the lock on.
                self._spawn(self._commit(release=True))
            else:
                self._lock.release()
        if batch is not None:
            await asyncio.shield(batch)

    async def _savepoint(self, *statements: str) -> None:
        """Run savepoint statements; if SQLite has rolled the whole group back, fail it."""
        assert self._writer is not None
        try:
            if not self._writer.in_transaction:
                raise sqlite3.OperationalError("the transaction was rolled back")
            for statement in statements:
                await self._writer.execute(statement)
        except sqlite3.Error as exc:
            self._fail(StorageUnavailable(f"could not write: {exc}"))
            if self._writer.in_transaction:
                await self._writer.execute("ROLLBACK")
            raise StorageUnavailable(f"could not write: {exc}") from exc

    def _fail(self, error: StorageUnavailable) -> None:
        batch, self._batch = self._batch, None
        if batch is not None and not batch.done():
            batch.set_exception(error)

    async def _commit(self, *, release: bool) -> None:
        """Commit the open group and tell its members; with `release`, then free the lock."""
        assert self._writer is not None
        batch, self._batch = self._batch, None
        try:
            if batch is None:
                return
            raw = self._writer.raw
            finish = self.checkpoints.finish_now()

            def commit() -> None:
                raw.execute("COMMIT")
                if finish:
                    try:
                        raw.execute(FINISH).fetchall()
                    except sqlite3.Error as exc:  # committed all the same; the next one will do
                        log.warning("WAL checkpoint after a commit failed: %s", exc)

            try:
                await self._off_loop(commit)
            except sqlite3.Error as exc:
                if self._writer.in_transaction:
                    await self._writer.execute("ROLLBACK")
                batch.set_exception(StorageUnavailable(f"could not commit: {exc}"))
            else:
                batch.set_result(None)
                self.checkpoints.committed()
        finally:
            if batch is not None and not batch.done():
                batch.set_exception(StorageUnavailable("the commit was interrupted"))
            if release:
                self._lock.release()

    def _flush_if_abandoned(self) -> None:
        """A writer gave up waiting: if it was the one due to commit the open group, do it."""
        if self._batch is not None and self._queued == 0 and not self._lock.locked():

            async def flush() -> None:
                await self._lock.acquire()
                await self._commit(release=True)

            self._spawn(flush())

    def _spawn(self, work: Coroutine[object, object, None]) -> None:
        task = asyncio.create_task(work)
        self._committers.add(task)
        task.add_done_callback(self._committers.discard)

    async def checkpoint(self) -> tuple[int, int, int]:
        """Copy the WAL into the database file and truncate it: (busy, log, checkpointed)."""
        if self._writer is None:
            raise StorageUnavailable("the database is not open")
        async with self._lock:
            await self._commit(release=False)
            # Holding the lock, nothing commits, so no new copy starts beside the writer; one
            # already running would make TRUNCATE give up at once (busy), so it ends first.
            await self.checkpoints.idle()
            raw = self._writer.raw
            rows = await self._off_loop(
                lambda: raw.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchall()
            )
        busy, frames, done = rows[0]
        return int(busy), int(frames), int(done)

    async def read_aside(self, sql: str, params: Sequence[object] = ()) -> list[Row]:
        """Rows of a query that reads much of the store (a report), without holding the loop.

        Statements normally run on the event loop (see connection.py); a query whose cost
        grows with the store would stall every request meanwhile, so it runs on a thread and
        a read-only connection of its own, and SQLite releases the GIL while it works.
        """
        if self._writer is None:
            raise StorageUnavailable("the database is not open")

        def run() -> list[Row]:
            if self._aside_conn is None:
                conn = sqlite3.connect(self.path, isolation_level=None)
                conn.row_factory = sqlite3.Row
                conn.execute("PRAGMA query_only=ON")
                conn.execute("PRAGMA busy_timeout=5000")
                self._aside_conn = conn
            return self._aside_conn.execute(sql, params).fetchall()

        return await asyncio.get_running_loop().run_in_executor(self._aside, run)

    async def backup(self, target: Path) -> None:
        """Copy the live database into `target` with SQLite's online backup, off the loop."""

        def copy() -> None:
            # Connections of its own, so the copy holds neither the reader nor the writer.
            source = sqlite3.connect(self.path)
            dest = sqlite3.connect(target)
            try:
                source.backup(dest)
            finally:
                dest.close()
                source.close()

        await asyncio.to_thread(copy)

    async def _begin(self) -> None:
        assert self._writer is not None
        raw = self._writer.raw
        try:
            await self._off_loop(lambda: raw.execute("BEGIN IMMEDIATE"))
        except sqlite3.OperationalError as exc:
            raise StorageUnavailable(f"could not start a write: {exc}") from exc
