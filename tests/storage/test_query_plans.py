"""Reads whose cost must not grow with the store: no full pass over items or audit events.

Every statement the queue and the dashboard run is captured (expanded, with its values) and
asked for SQLite's plan. A plan that scans a growing table, or that sorts all the rows a paged
query matches (a temporary B-tree for ORDER BY … LIMIT) instead of reading them in index order,
would make a page cost O(store).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from typing import Any

import pytest

from relay.config import Config
from relay.domain import dashboard, views
from relay.domain.sessions import authenticate
from relay.http import RELAY
from relay.storage.tx import Tx
from tests.backends import on_postgres
from tests.conftest import World, staff_login

GROWING = ("items", "audit_events", "notifications")


def _full_scans(
    conn: sqlite3.Connection, statements: list[tuple[str, tuple[object, ...]]]
) -> list[tuple[str, str]]:
    """Plans made as the server makes them: the same SQL, with its values bound."""
    found = []
    for sql, params in statements:
        if not sql.lstrip().upper().startswith("SELECT"):
            continue
        paged = " LIMIT " in sql.upper()
        for row in conn.execute("EXPLAIN QUERY PLAN " + sql, params):
            detail = row[3]
            # "SCAN items" alone is a pass over the table; "SCAN items USING INDEX …" walks an
            # index in its order and stops at the LIMIT.
            if any(detail == f"SCAN {table}" for table in GROWING) or (
                paged and detail == "USE TEMP B-TREE FOR ORDER BY"
            ):
                found.append((detail, sql))
    return found


@pytest.mark.skipif(on_postgres(), reason="SQLite's query plans")
async def test_the_queue_and_dashboard_never_scan_a_growing_table(
    world: World, config: Config, monkeypatch: pytest.MonkeyPatch
) -> None:
    relay = world.api.client.app[RELAY]
    for n in range(3):
        await world.api.ok(
            "POST", "/me/items", world.harmed, {"kind": "letter", "body": f"Letter {n}."}, 201
        )
    specialist, _ = await authenticate(relay, world.specialist)
    volunteer, _ = await authenticate(relay, await staff_login(world.api, "val"))
    seen: list[tuple[str, tuple[object, ...]]] = []
    real_execute = Tx._execute

    def recording(tx: Tx, sql: str, params: Sequence[object]) -> Any:
        seen.append((sql, tuple(params)))
        return real_execute(tx, sql, params)

    monkeypatch.setattr(Tx, "_execute", recording)
    for actor in (specialist, volunteer):
        await dashboard.overview(relay, actor)
        for state in (None, "delivered", "pending"):
            await views.queue(relay, actor, case_id=None, state=state)
        await views.queue(relay, actor, case_id=world.case_id, state=None)
    monkeypatch.undo()
    assert sum("FROM items" in sql for sql, _ in seen) >= 10
    conn = sqlite3.connect(config.db_path)
    try:
        assert _full_scans(conn, seen) == []
    finally:
        conn.close()


def test_the_check_sees_a_full_scan() -> None:
    conn = sqlite3.connect(":memory:")
    conn.execute("CREATE TABLE items (id TEXT PRIMARY KEY, body TEXT)")
    conn.execute("CREATE INDEX items_by_body ON items(body)")
    assert _full_scans(conn, [("SELECT * FROM items WHERE id > 'x'", ())]) == []
    assert _full_scans(conn, [("SELECT * FROM items WHERE length(id) = 3", ())]) != []
    assert (
        _full_scans(conn, [("SELECT * FROM items WHERE body = 'x' ORDER BY id LIMIT 5", ())]) != []
    )
    assert _full_scans(conn, [("SELECT * FROM items ORDER BY body LIMIT 5", ())]) == []
