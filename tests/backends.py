"""Which database the suite runs on: SQLite files in tmp_path, or (with
RELAY_TEST_DATABASE_URL set, as `scripts/with-postgres` does) a fresh PostgreSQL database per
test, copied from a migrated template made once per test worker."""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterator
from contextlib import contextmanager

SERVER_URL = os.environ.get("RELAY_TEST_DATABASE_URL") or None
_templates: dict[str, str] = {}


def on_postgres() -> bool:
    return SERVER_URL is not None


def _with_db(url: str, dbname: str) -> str:
    base, _, _ = url.rpartition("/")
    return f"{base}/{dbname}"


def _admin() -> object:
    import psycopg

    assert SERVER_URL is not None
    return psycopg.connect(SERVER_URL, autocommit=True)


def _template() -> str:
    """A database with every migration applied, made once per worker."""
    worker = os.environ.get("PYTEST_XDIST_WORKER", "main")
    if worker in _templates:
        return _templates[worker]
    from relay.storage import migrate
    from relay.storage.backends import Postgres

    name = f"relay_tpl_{worker}_{os.getpid()}"
    with _admin() as admin:  # type: ignore[attr-defined]
        admin.execute(f'DROP DATABASE IF EXISTS "{name}"')
        admin.execute(f'CREATE DATABASE "{name}"')
    assert SERVER_URL is not None
    backend = Postgres(_with_db(SERVER_URL, name))
    conn = backend.connect(writer=True)
    try:
        migrate.apply(conn, backend)
    finally:
        conn.close()
    _templates[worker] = name
    return name


@contextmanager
def fresh_database() -> Iterator[str | None]:
    """A URL of an empty, migrated database for one test (None on SQLite)."""
    if SERVER_URL is None:
        yield None
        return
    template = _template()
    name = f"relay_t_{secrets.token_hex(6)}"
    with _admin() as admin:  # type: ignore[attr-defined]
        admin.execute(f'CREATE DATABASE "{name}" TEMPLATE "{template}"')
    try:
        yield _with_db(SERVER_URL, name)
    finally:
        with _admin() as admin:  # type: ignore[attr-defined]
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _name_of(url: str) -> str:
    return url.rpartition("/")[2]


def new_database(template_url: str | None = None) -> str:
    """PostgreSQL: a new database of the test's own, empty or a copy of the database at
    `template_url` (to which nobody may be connected); its URL. Drop it with `drop_database`."""
    assert SERVER_URL is not None
    name = f"relay_t_{secrets.token_hex(6)}"
    template = f' TEMPLATE "{_name_of(template_url)}"' if template_url else ""
    with _admin() as admin:  # type: ignore[attr-defined]
        admin.execute(f'CREATE DATABASE "{name}"{template}')
    return _with_db(SERVER_URL, name)


def drop_database(url: str) -> None:
    """Drop a database made by `new_database`, disconnecting whoever is still connected."""
    with _admin() as admin:  # type: ignore[attr-defined]
        admin.execute(f'DROP DATABASE IF EXISTS "{_name_of(url)}" WITH (FORCE)')
