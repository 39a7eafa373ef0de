"""Versioned migrations: a fresh database and an older one both end at the latest schema."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from relay.crypto import KeyStore
from relay.storage import Duplicate, Store
from relay.storage.migrate import migrations as migrations_for
from tests.backends import fresh_database, on_postgres


def migrations() -> list[tuple[int, str, str]]:
    return migrations_for("sqlite")


async def _open(path: Path) -> Store:
    keys = KeyStore.create(path.parent / f"keys-{path.stem}")
    return await Store(keys, path=path).open()


async def test_fresh_database_reaches_the_latest_schema(tmp_path: Path) -> None:
    db = await _open(tmp_path / "fresh.db")
    try:
        rows = await db.read(lambda tx: tx.rows("SELECT version FROM schema_migrations"))
        assert [row[0] for row in rows] == [number for number, _, _ in migrations()]
        assert await db.read(lambda tx: tx.value("PRAGMA journal_mode")) == "wal"
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
    db = await _open(path)
    try:
        rows = await db.read(lambda tx: tx.rows("SELECT version FROM schema_migrations"))
        assert [row[0] for row in rows] == [number for number, _, _ in migrations()]
        kept = await db.read(lambda tx: tx.rows("SELECT username FROM practitioners"))
        assert [row[0] for row in kept] == ["old"]
    finally:
        await db.close()
    db = await Store(
        KeyStore.load(path.parent / "keys-old"), path=path
    ).open()  # opening again applies nothing and keeps everything
    try:
        again = await db.read(lambda tx: tx.rows("SELECT version FROM schema_migrations"))
        assert [tuple(row) for row in again] == [tuple(row) for row in rows]
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
    db = await _open(path)
    try:
        rows = await db.read(
            lambda tx: tx.rows(
                "SELECT id, participant_id, item_id, state, attempts FROM notifications"
            )
        )
        assert [tuple(row) for row in rows] == [("ntf_1", "par_1", "itm_1", "failed", 8)]
        # A second person may now be notified of the same item...
        await db.write(lambda tx: tx.run(_NOTIFY.format(id="ntf_2", participant="par_2")))
        with pytest.raises(Duplicate):  # ...but each person once per item
            await db.write(lambda tx: tx.run(_NOTIFY.format(id="ntf_3", participant="par_1")))
    finally:
        await db.close()


_NOTIFY = (
    "INSERT INTO notifications (id, case_id, participant_id, item_id, state, next_attempt_at, "
    "created_at) VALUES ('{id}', 'cas_1', '{participant}', 'itm_1', 'queued', 't', 't')"
)


def test_both_databases_have_the_same_numbered_migrations() -> None:
    assert [n for n, _, _ in migrations_for("sqlite")] == [
        n for n, _, _ in migrations_for("postgresql")
    ]


@pytest.mark.skipif(not on_postgres(), reason="needs PostgreSQL (scripts/with-postgres)")
async def test_both_databases_hold_the_same_tables_and_columns(tmp_path: Path) -> None:
    lite = await _open(tmp_path / "lite.db")
    try:
        names = await lite.read(
            lambda tx: tx.rows(
                "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
            )
        )
        expected = {}
        for (table,) in [tuple(n) for n in names]:
            cols = await lite.read(lambda tx, t=table: tx.rows(f"PRAGMA table_info({t})"))
            expected[table] = sorted(c[1] for c in cols)
    finally:
        await lite.close()
    with fresh_database() as url:
        keys = KeyStore.create(tmp_path / "pgkeys")
        pg = await Store(keys, path=tmp_path / "unused.db", url=url).open()
        try:
            rows = await pg.read(
                lambda tx: tx.rows(
                    "SELECT table_name, column_name FROM information_schema.columns "
                    "WHERE table_schema = 'public'"
                )
            )
        finally:
            await pg.close()
    found: dict[str, list[str]] = {}
    for table, column in [tuple(r) for r in rows]:
        found.setdefault(table, []).append(column)
    assert {t: sorted(c) for t, c in found.items()} == expected
