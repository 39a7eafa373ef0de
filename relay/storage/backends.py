"""The two databases relay can keep its data in, behind one small interface.

- `SQLite` (the embedded default): one file, WAL, `synchronous=FULL`, `secure_delete`; the
  writer begins with `BEGIN IMMEDIATE` so it never fails half-way for want of the lock.
- `Postgres` (`$RELAY_DATABASE_URL`): psycopg 3. Every write transaction first takes one
  transaction-scoped advisory lock, so writes are serialised across every `relay serve`
  sharing the database exactly as SQLite serialises them on one machine: a decision's version
  check, the item sequence and the audit chain's end read inside a transaction cannot be raced
  by another process. (A hub scope can later take one lock per hub.)

Both hand out plain DB-API connections whose `execute(sql, params)` returns a cursor; `Tx`
(tx.py) is the only code that talks to them.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any, Protocol

from relay.storage.errors import StorageUnavailable

# One number for relay's writer lock (pg_advisory_xact_lock takes a bigint): "relay" in ASCII.
WRITE_LOCK = 0x72656C6179


class Backend(Protocol):
    dialect: str

    def connect(self, *, writer: bool) -> Any: ...

    def begin_write(self, conn: Any) -> None: ...

    def begin_read(self, conn: Any) -> None: ...

    def describe(self) -> str: ...


class SQLite:
    dialect = "sqlite"

    def __init__(self, path: Path) -> None:
        self.path = path

    def describe(self) -> str:
        return f"SQLite at {self.path}"

    def connect(self, *, writer: bool) -> sqlite3.Connection:
        try:
            # Autocommit mode: transactions are explicit (BEGIN IMMEDIATE / BEGIN / SAVEPOINT).
            # check_same_thread=False only so that close() may run on the thread that opened
            # the store; statements run on the connection's own storage thread.
            conn = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
            conn.row_factory = sqlite3.Row
            # WAL: readers never block the writer. synchronous=FULL: an acknowledged decision
            # survives power loss, not only a crash. secure_delete: shredded keys and deleted
            # rows are overwritten, not left in free pages. busy_timeout: another process's
            # writer (a CLI command) is waited for, on this storage thread, not the loop.
            for pragma in (
                "journal_mode=WAL",
                "synchronous=FULL",
                "foreign_keys=ON",
                "busy_timeout=5000",
                "secure_delete=ON",
            ):
                conn.execute(f"PRAGMA {pragma}")
            if not writer:
                conn.execute("PRAGMA query_only=ON")
        except sqlite3.Error as exc:
            raise StorageUnavailable(f"could not open {self.path}: {exc}") from exc
        return conn

    def begin_write(self, conn: sqlite3.Connection) -> None:
        conn.execute("BEGIN IMMEDIATE")

    def begin_read(self, conn: sqlite3.Connection) -> None:
        conn.execute("BEGIN")  # a snapshot for every statement of the read


class Postgres:
    dialect = "postgresql"

    def __init__(self, url: str) -> None:
        self.url = url

    def describe(self) -> str:
        # The URL may carry a password: name the host and database only.
        from psycopg.conninfo import conninfo_to_dict

        parts = conninfo_to_dict(self.url)
        return f"PostgreSQL database {parts.get('dbname', '?')} on {parts.get('host', '?')}"

    def connect(self, *, writer: bool) -> Any:
        import psycopg

        from relay.storage.tx import pg_row_factory

        try:
            conn = psycopg.connect(
                self.url, autocommit=True, row_factory=pg_row_factory, connect_timeout=10
            )
        except psycopg.Error as exc:
            raise StorageUnavailable(f"could not connect to {self.describe()}: {exc}") from exc
        # A statement that waits longer than this is a fault, not a load: say so, don't hang.
        conn.execute("SET statement_timeout = '30s'")
        conn.execute("SET lock_timeout = '10s'")
        return conn

    def begin_write(self, conn: Any) -> None:
        conn.execute("BEGIN")
        conn.execute("SELECT pg_advisory_xact_lock(%s)", (WRITE_LOCK,))

    def begin_read(self, conn: Any) -> None:
        conn.execute("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")


def backend_for(url: str | None, path: Path) -> Backend:
    """PostgreSQL when a URL is given (it wins over the SQLite path), else SQLite."""
    if url:
        if not url.startswith(("postgresql://", "postgres://")):
            raise ValueError(
                "RELAY_DATABASE_URL must be a PostgreSQL URL "
                "(postgresql://USER[:PASSWORD]@HOST:PORT/DBNAME); unset it to use SQLite"
            )
        return Postgres(url)
    return SQLite(path)
