"""Versioned migrations: a fresh database and an older one both end at the latest schema."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from relay.storage import Database
from relay.storage.db import migrations


async def test_fresh_database_reaches_the_latest_schema(tmp_path: Path) -> None:
    db = await Database(tmp_path / "fresh.db").open()
    try:
        rows = await db.reader.execute_fetchall("SELECT version FROM schema_migrations")
        assert [row[0] for row in rows] == [number for number, _, _ in migrations()]
        mode = await db.reader.execute_fetchall("PRAGMA journal_mode")
        assert mode[0][0] == "wal"
    finally:
        await db.close()


async def test_older_database_is_brought_forward_keeping_its_data(tmp_path: Path) -> None:
    path = tmp_path / "old.db"
    first_number, first_name, first_sql = migrations()[0]
    with sqlite3.connect(path) as conn:
        conn.executescript(first_sql)
        conn.execute(
            "CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, "
            "applied_at TEXT NOT NULL)"
        )
        conn.execute(
            "INSERT INTO schema_migrations VALUES (?, ?, 'then')", (first_number, first_name)
        )
        conn.execute(
            "INSERT INTO practitioners VALUES ('prc_1', 'old', 'Old', 'specialist', 'h', 't', 1, "
            "'t')"
        )
    db = await Database(path).open()
    try:
        rows = await db.reader.execute_fetchall("SELECT version FROM schema_migrations")
        assert [row[0] for row in rows] == [number for number, _, _ in migrations()]
        kept = await db.reader.execute_fetchall("SELECT username FROM practitioners")
        assert [row[0] for row in kept] == ["old"]
        assert await db.migrate() == []  # idempotent
    finally:
        await db.close()
