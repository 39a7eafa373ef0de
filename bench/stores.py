"""Where a relay under test keeps its data, for the bench's own reads and bulk writes.

Seeding (seeding.py) builds the same rows for both databases; only the access differs:
SQLite takes them with `executemany`, PostgreSQL with a binary `COPY ... FROM STDIN`, each in
one transaction that holds relay's writer lock (SQLite's BEGIN IMMEDIATE, PostgreSQL's
advisory lock, relay.storage.backends.WRITE_LOCK), so a bulk write beside a running server
cannot race its writes for the next `seq`. SQL is written with `?` placeholders.
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path
from typing import Any

ITEM_COLUMNS = (
    ("id", "text"),
    ("seq", "int8"),
    ("case_id", "text"),
    ("kind", "text"),
    ("author_id", "text"),
    ("author_role", "text"),
    ("sender_id", "text"),
    ("recipient_id", "text"),
    ("state", "text"),
    ("version", "int4"),
    ("original", "bytea"),
    ("body", "bytea"),
    ("findings", "bytea"),
    ("dismissed", "bytea"),
    ("recipient_state", "text"),
    ("created_at", "text"),
    ("waiting_since", "text"),
    ("approved_at", "text"),
    ("delivered_at", "text"),
    ("updated_at", "text"),
)
_NAMES = ", ".join(name for name, _type in ITEM_COLUMNS)


class SQLiteStore:
    kind = "sqlite"

    def __init__(self, path: Path) -> None:
        self.path = path

    @contextlib.contextmanager
    def connect(self, *, bulk: bool = False, offline: bool = False) -> Iterator[Any]:
        """A connection; `bulk`: no fsync and a big page cache (seeding only); `offline`
        (the server is stopped): no journal either, so rows are written once, not to the WAL
        and again by a checkpoint. WAL mode is restored before it closes."""
        conn = sqlite3.connect(self.path, isolation_level=None)
        try:
            if offline:
                conn.execute("PRAGMA journal_mode=OFF")
            if bulk:
                conn.execute("PRAGMA synchronous=OFF")
                conn.execute("PRAGMA cache_size=-1000000")
            conn.execute("PRAGMA foreign_keys=ON")
            yield conn
        finally:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            if offline:
                conn.execute("PRAGMA journal_mode=WAL")
            conn.close()

    def rows(self, conn: Any, sql: str, params: tuple = ()) -> list[tuple]:
        return [tuple(r) for r in conn.execute(sql, params).fetchall()]

    def begin_write(self, conn: Any) -> None:
        conn.execute("BEGIN IMMEDIATE")

    def insert_items(self, conn: Any, rows: Iterable[tuple]) -> None:
        marks = ", ".join("?" for _ in ITEM_COLUMNS)
        conn.executemany(f"INSERT INTO items ({_NAMES}) VALUES ({marks})", rows)

    def settle(self, conn: Any) -> None:
        """After a bulk write beside the server: the WAL copied back and truncated."""
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")

    def flush(self) -> None:
        """After offline seeding: up to a gigabyte of dirty pages written out now, or the
        kernel's writeback lands in the measured run and relay's fsyncs queue behind it."""
        os.sync()


class PostgresStore:
    kind = "postgresql"

    def __init__(self, url: str) -> None:
        self.url = url

    @contextlib.contextmanager
    def connect(self, *, bulk: bool = False, offline: bool = False) -> Iterator[Any]:
        """A connection (autocommit; transactions explicit). `bulk`: commits not waited for
        (seeding only; `settle`/`flush` checkpoint afterwards); `offline`: foreign keys not
        checked row by row (the rows are built consistent; needs a superuser, as here)."""
        import psycopg

        with psycopg.connect(self.url, autocommit=True) as conn:
            if bulk:
                conn.execute("SET synchronous_commit = off")
            if offline:
                conn.execute("SET session_replication_role = replica")
            try:
                yield conn
            finally:
                if conn.info.transaction_status != psycopg.pq.TransactionStatus.IDLE:
                    conn.execute("ROLLBACK")

    def rows(self, conn: Any, sql: str, params: tuple = ()) -> list[tuple]:
        return [tuple(r) for r in conn.execute(sql.replace("?", "%s"), params).fetchall()]

    def begin_write(self, conn: Any) -> None:
        from relay.storage.backends import WRITE_LOCK

        conn.execute("BEGIN")
        conn.execute("SELECT pg_advisory_xact_lock(%s)", (WRITE_LOCK,))

    def insert_items(self, conn: Any, rows: Iterable[tuple]) -> None:
        sql = f"COPY items ({_NAMES}) FROM STDIN (FORMAT BINARY)"
        with conn.cursor() as cursor, cursor.copy(sql) as copy:
            copy.set_types([pg_type for _name, pg_type in ITEM_COLUMNS])
            for row in rows:
                copy.write_row(row)

    def settle(self, conn: Any) -> None:
        """After a bulk write: statistics as autovacuum would keep them, dirty buffers out."""
        conn.execute("VACUUM (ANALYZE) items")
        conn.execute("CHECKPOINT")

    def flush(self) -> None:
        with self.connect() as conn:
            self.settle(conn)
        os.sync()


Store = SQLiteStore | PostgresStore


def for_env(env: Mapping[str, str]) -> Store:
    """The store a relay started with `env` uses: $RELAY_DATABASE_URL, else $RELAY_DB."""
    url = env.get("RELAY_DATABASE_URL")
    return PostgresStore(url) if url else SQLiteStore(Path(env["RELAY_DB"]))
