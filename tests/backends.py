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
    """A URL of an empty, migrated database for one test (None on SQLite).

    Databases are reused within a worker: after a test its rows are deleted (about 5 ms) rather
    than the database dropped and copied again from the template (about 160 ms each).
    """
    if SERVER_URL is None:
        yield None
        return
    name = _pool.pop() if _pool else _copy_of_template()
    url = _with_db(SERVER_URL, name)
    try:
        yield url
    finally:
        if _emptied(url):
            _pool.append(name)
        else:
            with _admin() as admin:  # type: ignore[attr-defined]
                admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


_pool: list[str] = []  # this worker's emptied databases, ready for the next test


def _template_signature() -> tuple[int, ...]:
    import psycopg

    assert SERVER_URL is not None
    template = _template()
    if template not in _signatures:
        with psycopg.connect(_with_db(SERVER_URL, template), autocommit=True) as conn:
            _signatures[template] = tuple(conn.execute(_SIGNATURE).fetchone() or ())
    return _signatures[template]


def _copy_of_template() -> str:
    name = f"relay_t_{secrets.token_hex(6)}"
    with _admin() as admin:  # type: ignore[attr-defined]
        admin.execute(f'CREATE DATABASE "{name}" TEMPLATE "{_template()}"')
    return name


_SIGNATURE = (
    "SELECT (SELECT COUNT(*) FROM information_schema.columns WHERE table_schema = 'public'), "
    "(SELECT COUNT(*) FROM pg_trigger WHERE NOT tgisinternal), "
    "(SELECT COUNT(*) FROM pg_indexes WHERE schemaname = 'public'), "
    "(SELECT COUNT(*) FROM schema_migrations)"
)
_signatures: dict[str, tuple[int, ...]] = {}


def _emptied(url: str) -> bool:
    """Delete every row but the migrations' record; False if that could not be done, or if the
    test changed the schema itself (a tampering test drops a trigger): then it is dropped."""
    import psycopg

    try:
        with psycopg.connect(url, autocommit=True) as conn:
            signature = tuple(conn.execute(_SIGNATURE).fetchone() or ())
            if signature != _template_signature():
                return False
            tables = [
                row[0]
                for row in conn.execute(
                    "SELECT tablename FROM pg_tables WHERE schemaname = 'public' "
                    "AND tablename != 'schema_migrations'"
                )
            ]
            conn.execute("SET lock_timeout = '5s'")
            # Replica mode skips triggers: foreign keys in any order, and the audit table's
            # append-only trigger (a test database is emptied, not the audit log edited).
            conn.execute("SET session_replication_role = replica")
            with conn.transaction():
                for table in tables:
                    conn.execute(f'DELETE FROM "{table}"')
    except psycopg.Error:
        return False
    return True


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
