"""The database handle: WAL, one serialised writer, one reader, migrations at open.

aiosqlite runs each connection's calls on one thread in order, so transactions from different
tasks on a shared connection would interleave. Writes therefore go through `write()`, which
holds an asyncio.Lock from BEGIN IMMEDIATE to COMMIT. `write()` is re-entrant within a task
(nested blocks become savepoints), so a request can wrap a domain call and its idempotency
record in one transaction.
"""

from __future__ import annotations

import asyncio
import contextvars
import re
import sqlite3
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from importlib import resources
from pathlib import Path

import aiosqlite

_MIGRATION = re.compile(r"^(\d{4})_(\w+)\.sql$")
_current: contextvars.ContextVar[tuple[Database, int] | None] = contextvars.ContextVar(
    "relay_tx", default=None
)


class StorageUnavailable(RuntimeError):
    """The database cannot be written (read-only, disk full, locked too long)."""


def migrations() -> list[tuple[int, str, str]]:
    """(number, name, sql) of every packaged migration, in order."""
    folder = resources.files("relay.storage") / "migrations"
    found = []
    for entry in folder.iterdir():
        match = _MIGRATION.match(entry.name)
        if match:
            found.append((int(match.group(1)), match.group(2), entry.read_text("utf-8")))
    return sorted(found)


async def _connect(path: Path) -> aiosqlite.Connection:
    conn = await aiosqlite.connect(path, isolation_level=None)
    conn.row_factory = aiosqlite.Row
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
        self._writer: aiosqlite.Connection | None = None
        self._reader: aiosqlite.Connection | None = None
        self._lock = asyncio.Lock()

    async def open(self) -> Database:
        self._writer = await _connect(self.path)
        await self.migrate()
        self._reader = await _connect(self.path)
        await self._reader.execute("PRAGMA query_only=ON")
        return self

    async def close(self) -> None:
        for conn in (self._reader, self._writer):
            if conn is not None:
                await conn.close()
        self._reader = self._writer = None

    @property
    def reader(self) -> aiosqlite.Connection:
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
    async def write(self) -> AsyncIterator[aiosqlite.Connection]:
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
        async with self._lock:
            token = _current.set((self, 0))
            try:
                await self._begin()
                try:
                    yield self._writer
                except BaseException:
                    await self._writer.execute("ROLLBACK")
                    raise
                try:
                    await self._writer.execute("COMMIT")
                except sqlite3.OperationalError as exc:
                    await self._writer.execute("ROLLBACK")
                    raise StorageUnavailable(f"could not commit: {exc}") from exc
            finally:
                _current.reset(token)

    async def checkpoint(self) -> tuple[int, int, int]:
        """Copy the WAL into the database file and truncate it: (busy, log, checkpointed)."""
        if self._writer is None:
            raise StorageUnavailable("the database is not open")
        async with self._lock:
            rows = list(await self._writer.execute_fetchall("PRAGMA wal_checkpoint(TRUNCATE)"))
        busy, log, done = rows[0]
        return int(busy), int(log), int(done)

    async def _begin(self) -> None:
        assert self._writer is not None
        try:
            await self._writer.execute("BEGIN IMMEDIATE")
        except sqlite3.OperationalError as exc:
            raise StorageUnavailable(f"could not start a write: {exc}") from exc
