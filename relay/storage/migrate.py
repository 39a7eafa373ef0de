"""Numbered migrations, one folder per database, recorded in `schema_migrations`.

`migrations/sqlite/NNNN_name.sql` and `migrations/postgresql/NNNN_name.sql` carry the same
numbers: schema N is the same tables and columns on both (PostgreSQL's 0001 holds the whole
schema as it stood when PostgreSQL support began; its later numbers up to 0006 are empty).
Each migration runs in its own transaction with its record, so a crash leaves it applied or
not; on PostgreSQL, processes starting together take the writer's advisory lock first.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from importlib import resources
from typing import Any

from relay.storage.backends import WRITE_LOCK, Backend

_MIGRATION = re.compile(r"^(\d{4})_(\w+)\.sql$")


def migrations(dialect: str) -> list[tuple[int, str, str]]:
    """(number, name, sql) of every packaged migration for `dialect`, in order."""
    folder = resources.files("relay.storage") / "migrations" / dialect
    found = []
    for entry in folder.iterdir():
        match = _MIGRATION.match(entry.name)
        if match:
            found.append((int(match.group(1)), match.group(2), entry.read_text("utf-8")))
    return sorted(found)


def apply(conn: Any, backend: Backend) -> list[int]:
    """Apply every migration not yet recorded, on the writer's connection; the numbers applied."""
    conn.execute(
        "CREATE TABLE IF NOT EXISTS schema_migrations "
        "(version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)"
    )
    applied = []
    for number, name, sql in migrations(backend.dialect):
        now = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        if backend.dialect == "sqlite":
            if conn.execute(
                "SELECT 1 FROM schema_migrations WHERE version = ?", (number,)
            ).fetchall():
                continue
            # executescript commits first and runs its own statements: BEGIN IMMEDIATE inside.
            try:
                conn.executescript(
                    f"BEGIN IMMEDIATE;\n{sql}\nINSERT INTO schema_migrations VALUES "
                    f"({number}, '{name}', '{now}');\nCOMMIT;"
                )
            except BaseException:
                if conn.in_transaction:
                    conn.execute("ROLLBACK")
                raise
        else:
            conn.execute("BEGIN")
            try:
                conn.execute("SELECT pg_advisory_xact_lock(%s)", (WRITE_LOCK,))
                done = conn.execute(
                    "SELECT 1 FROM schema_migrations WHERE version = %s", (number,)
                ).fetchall()
                if not done:
                    if _has_statements(sql):
                        conn.execute(sql)
                    conn.execute(
                        "INSERT INTO schema_migrations VALUES (%s, %s, %s)", (number, name, now)
                    )
                conn.execute("COMMIT")
            except BaseException:
                conn.execute("ROLLBACK")
                raise
            if done:
                continue
        applied.append(number)
    return applied


def _has_statements(sql: str) -> bool:
    """Whether a script holds more than comments (PostgreSQL refuses an empty query)."""
    return any(line.strip() and not line.strip().startswith("--") for line in sql.splitlines())
