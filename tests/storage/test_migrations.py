"""Versioned migrations: a fresh database and an older one both end at the latest schema."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

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


async def test_notifications_survive_the_rebuild_that_lets_supporters_be_notified(
    tmp_path: Path,
) -> None:
    """0006 rebuilds the notifications table (one per item and person); no row may be lost."""
    path = tmp_path / "at5.db"
    with sqlite3.connect(path) as conn:
        conn.execute(
            "CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, "
            "applied_at TEXT NOT NULL)"
        )
        for number, name, sql in migrations():
            if number > 5:
                break
            conn.executescript(sql)
            conn.execute("INSERT INTO schema_migrations VALUES (?, ?, 't')", (number, name))
        conn.executescript(
            "INSERT INTO practitioners VALUES ('prc_1', 'old', 'Old', 'specialist', 'h', 't', 1, "
            "'t');"
            "INSERT INTO cases (id, status, modality, risk_level, created_by, created_at, "
            "updated_at) VALUES ('cas_1', 'active', 'letters', 'standard', 'prc_1', 't', 't');"
            "INSERT INTO participants (id, case_id, role, alias, created_at) VALUES "
            "('par_1', 'cas_1', 'harmed', 'Alex', 't'), ('par_2', 'cas_1', 'responsible', "
            "'Sam', 't');"
            "INSERT INTO items (id, seq, case_id, kind, author_id, author_role, sender_id, "
            "recipient_id, state, version, original, body, findings, dismissed, created_at, "
            "waiting_since, updated_at) VALUES ('itm_1', 1, 'cas_1', 'letter', 'par_2', "
            "'responsible', 'par_2', 'par_1', 'delivered', 2, x'00', x'00', x'00', x'00', 't', "
            "'t', 't');"
            "INSERT INTO notifications (id, case_id, participant_id, item_id, state, attempts, "
            "next_attempt_at, created_at) VALUES ('ntf_1', 'cas_1', 'par_1', 'itm_1', 'failed', "
            "8, 't', 't');"
        )
    db = await Database(path).open()
    try:
        rows = await db.reader.execute_fetchall(
            "SELECT id, participant_id, item_id, state, attempts FROM notifications"
        )
        assert [tuple(row) for row in rows] == [("ntf_1", "par_1", "itm_1", "failed", 8)]
        async with db.write() as conn:  # a second person may now be notified of the same item
            await conn.execute(
                "INSERT INTO notifications (id, case_id, participant_id, item_id, state, "
                "next_attempt_at, created_at) VALUES ('ntf_2', 'cas_1', 'par_2', 'itm_1', "
                "'queued', 't', 't')"
            )
        with pytest.raises(sqlite3.IntegrityError):  # but each person once per item
            async with db.write() as conn:
                await conn.execute(
                    "INSERT INTO notifications (id, case_id, participant_id, item_id, state, "
                    "next_attempt_at, created_at) VALUES ('ntf_3', 'cas_1', 'par_1', 'itm_1', "
                    "'queued', 't', 't')"
                )
    finally:
        await db.close()
