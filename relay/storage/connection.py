"""A SQLite connection whose statements run on the event loop's own thread.

Why not a thread per connection (aiosqlite)? Relay's statements are small and indexed: each
takes a few to a few tens of microseconds inside SQLite, while handing it to a worker thread
and waking the loop afterwards costs ~100 µs, and a decision makes a dozen of them in a row
under the single writer lock. Measured on 2 cores, the hand-offs, not SQLite, bounded the
writes per second. So statements run where the caller is, and only the calls that can wait
for long are handed to a thread by `Database`: BEGIN IMMEDIATE (another process may hold the
write lock for up to busy_timeout), COMMIT (an fsync with synchronous=FULL, and the WAL
checkpoint that may follow), the explicit checkpoint and backups.

The methods are coroutines so that callers read like any asyncio database code and a
statement could be moved back to a thread without touching them.
"""

from __future__ import annotations

import sqlite3
from collections.abc import AsyncIterator, Iterable, Sequence
from pathlib import Path

Row = sqlite3.Row


class Cursor:
    """The outcome of one statement: its rows (fetched on demand) and its counts."""

    __slots__ = ("_raw",)

    def __init__(self, raw: sqlite3.Cursor) -> None:
        self._raw = raw

    @property
    def rowcount(self) -> int:
        return self._raw.rowcount

    async def fetchone(self) -> Row | None:
        row: Row | None = self._raw.fetchone()
        return row

    async def fetchall(self) -> list[Row]:
        return self._raw.fetchall()

    async def __aiter__(self) -> AsyncIterator[Row]:
        for row in self._raw:
            yield row


class Connection:
    """The async face of one `sqlite3.Connection` (rows are `sqlite3.Row`)."""

    def __init__(self, raw: sqlite3.Connection) -> None:
        raw.row_factory = sqlite3.Row
        self.raw = raw

    @classmethod
    def open(cls, path: str | Path) -> Connection:
        # Autocommit mode: transactions are the caller's (BEGIN IMMEDIATE / SAVEPOINT).
        # check_same_thread=False: Database hands BEGIN and COMMIT to a thread of its own,
        # never while a statement runs here (the writer lock orders them).
        return cls(sqlite3.connect(path, isolation_level=None, check_same_thread=False))

    @property
    def in_transaction(self) -> bool:
        return self.raw.in_transaction

    async def execute(self, sql: str, params: Sequence[object] = ()) -> Cursor:
        return Cursor(self.raw.execute(sql, params))

    async def execute_fetchall(self, sql: str, params: Sequence[object] = ()) -> list[Row]:
        return self.raw.execute(sql, params).fetchall()

    async def executemany(self, sql: str, rows: Iterable[Sequence[object]]) -> Cursor:
        return Cursor(self.raw.executemany(sql, rows))

    async def executescript(self, script: str) -> Cursor:
        return Cursor(self.raw.executescript(script))

    async def close(self) -> None:
        self.raw.close()
