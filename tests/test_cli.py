"""The `relay` command: init, refusals, audit verification, backup."""

from __future__ import annotations

import asyncio
import json
import os
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

import pytest
from click.testing import CliRunner

from relay.cli import main
from relay.crypto import KeyStore
from relay.storage import Store, Tx
from tests.backends import on_postgres

T = TypeVar("T")


@pytest.fixture
def env(tmp_path: Path, database_url: str | None) -> dict[str, str]:
    return {
        "RELAY_DB": str(tmp_path / "relay.db"),
        "RELAY_DATABASE_URL": database_url or "",
        "RELAY_KEYS": str(tmp_path / "keys"),
        "RELAY_PASSWORD": "a sufficiently long password",
        "RELAY_ARGON2_TIME_COST": "1",
        "RELAY_ARGON2_MEMORY_KIB": "1024",
    }


def run(env: dict[str, str], *args: str) -> tuple[int, str]:
    result = CliRunner().invoke(main, list(args), env=env, catch_exceptions=False)
    return result.exit_code, result.output


def on_db(env: dict[str, str], fn: Callable[[Tx], T]) -> T:
    """Run `fn` in a write transaction on the database of `env` (as someone with access to it,
    but not to the keys, could)."""

    async def run() -> T:
        keys = KeyStore.load(Path(env["RELAY_KEYS"]))
        url = env["RELAY_DATABASE_URL"] or None
        store = await Store(keys, path=Path(env["RELAY_DB"]), url=url).open()
        try:
            return await store.write(fn)
        finally:
            await store.close()

    return asyncio.run(run())


def unprotect(tx: Tx) -> None:
    """Drop the triggers that keep audit events from being changed or deleted."""
    if tx.dialect == "postgresql":
        tx.run("DROP TRIGGER audit_events_no_change ON audit_events")
    else:
        tx.run("DROP TRIGGER audit_events_no_update")
        tx.run("DROP TRIGGER audit_events_no_delete")


def tamper(env: dict[str, str], sql: str, params: tuple[object, ...] = ()) -> None:
    def work(tx: Tx) -> None:
        unprotect(tx)
        tx.run(sql, params)

    on_db(env, work)


def audit_rows(env: dict[str, str]) -> list[tuple[int, str]]:
    rows = on_db(env, lambda tx: tx.rows("SELECT seq, mac FROM audit_events ORDER BY seq"))
    return [(int(row[0]), str(row[1])) for row in rows]


@pytest.fixture
def demo(env: dict[str, str]) -> dict[str, str]:
    assert run(env, "init", "--username", "boss")[0] == 0
    code, output = run(env, "demo")
    assert code == 0, output
    return env


def test_init_creates_private_keys_and_refuses_a_second_time(env: dict[str, str]) -> None:
    code, output = run(env, "init", "--username", "boss")
    assert code == 0, output
    keys = Path(env["RELAY_KEYS"])
    for key in keys.iterdir():
        assert key.stat().st_mode & 0o077 == 0, key
    before = audit_rows(env)
    code, output = run(env, "init", "--username", "other")
    assert code != 0
    assert "already initialised" in output
    assert audit_rows(env) == before


def test_init_refuses_a_short_password(env: dict[str, str]) -> None:
    code, output = run({**env, "RELAY_PASSWORD": "short"}, "init", "--username", "boss")
    assert code != 0
    assert "at least" in output
    assert not Path(env["RELAY_DB"]).exists()
    assert not KeyStore.exists(Path(env["RELAY_KEYS"]))


def test_demo_prints_logins_for_practitioners_and_participants(env: dict[str, str]) -> None:
    run(env, "init", "--username", "boss")
    code, output = run(env, "demo")
    assert code == 0
    assert "demo-volunteer" in output
    assert output.count("login rj-") == 2


def test_serve_refuses_without_keys(env: dict[str, str]) -> None:
    code, output = run(env, "serve", "--port", "1")
    assert code != 0
    assert "relay init" in output


def test_serve_refuses_when_a_key_is_readable_by_others(demo: dict[str, str]) -> None:
    key = Path(demo["RELAY_KEYS"]) / "audit.key"
    os.chmod(key, 0o644)
    code, output = run(demo, "serve", "--port", "1")
    assert code != 0
    assert "chmod 600" in output


def test_audit_verify_passes_then_names_the_tampered_event(demo: dict[str, str]) -> None:
    code, output = run(demo, "audit", "verify")
    assert code == 0, output
    assert "holds" in output
    tamper(demo, "UPDATE audit_events SET actor = 'staff:someone-else' WHERE seq = 5")
    code, output = run(demo, "audit", "verify")
    assert code == 1
    assert "event 5" in output


def test_audit_verify_notices_a_deleted_event(demo: dict[str, str]) -> None:
    tamper(demo, "DELETE FROM audit_events WHERE seq = 3")
    code, output = run(demo, "audit", "verify")
    assert code == 1
    assert "event 3" in output


def _anchor(env: dict[str, str]) -> dict[str, object]:
    path = Path(env["RELAY_KEYS"]) / "audit.anchor"
    assert path.stat().st_mode & 0o077 == 0
    return dict(json.loads(path.read_text()))


def _cut_the_end(env: dict[str, str], events: int) -> None:
    tamper(
        env,
        "DELETE FROM audit_events WHERE seq > (SELECT MAX(seq) FROM audit_events) - ?",
        (events,),
    )


def test_the_anchor_in_keys_names_the_newest_event(demo: dict[str, str]) -> None:
    seq, mac = audit_rows(demo)[-1]
    assert _anchor(demo) == {"seq": seq, "mac": mac}


def test_audit_verify_notices_events_cut_from_the_end(demo: dict[str, str]) -> None:
    anchored = _anchor(demo)
    _cut_the_end(demo, 2)
    for _ in range(2):  # and the next command's own anchoring does not move it back
        code, output = run(demo, "audit", "verify")
        assert code == 1
        assert f"event {anchored['seq']}" in output and "cut from its end" in output
        assert _anchor(demo) == anchored


def test_the_anchor_does_not_move_past_a_rewritten_end(demo: dict[str, str]) -> None:
    anchored = _anchor(demo)
    _cut_the_end(demo, 1)
    # New events (a practitioner added) reach the anchored number again, with other MACs.
    for name in ("newcomer-one", "newcomer-two"):
        code, output = run(demo, "practitioner", "add", "--username", name, "--role", "volunteer")
        assert code == 0, output
    assert _anchor(demo) == anchored
    code, output = run(demo, "audit", "verify")
    assert code == 1
    assert f"event {anchored['seq']}" in output and "differs" in output


def test_reanchor_refuses_a_broken_chain_and_changes_nothing(demo: dict[str, str]) -> None:
    anchored = _anchor(demo)
    tamper(demo, "UPDATE audit_events SET actor = 'staff:someone-else' WHERE seq = 2")
    before = audit_rows(demo)
    code, output = run(demo, "audit", "reanchor")
    assert code != 0 and "event 2" in output
    assert _anchor(demo) == anchored
    assert audit_rows(demo) == before


def test_a_damaged_anchor_fails_verification_clearly(demo: dict[str, str]) -> None:
    (Path(demo["RELAY_KEYS"]) / "audit.anchor").write_text("not json")
    code, output = run(demo, "audit", "verify")
    assert code == 1
    assert "not a valid audit anchor" in output


def test_audit_rows_cannot_be_updated_through_sql(demo: dict[str, str]) -> None:
    with pytest.raises(Exception, match="append-only"):
        on_db(demo, lambda tx: tx.run("UPDATE audit_events SET actor = 'x' WHERE seq = 1"))


@pytest.mark.skipif(on_postgres(), reason="a SQLite copy (PostgreSQL: tests/delivery/test_keys.py)")
def test_backup_is_a_consistent_copy(demo: dict[str, str], tmp_path: Path) -> None:
    target = tmp_path / "copy.db"
    code, output = run(demo, "backup", str(target))
    assert code == 0, output
    code, output = run({**demo, "RELAY_DB": str(target)}, "audit", "verify")
    assert code == 0, output
    code, output = run(demo, "backup", str(target))
    assert code != 0
    assert "already exists" in output


def test_practitioner_add_refuses_a_taken_username(demo: dict[str, str]) -> None:
    code, output = run(demo, "practitioner", "add", "--username", "val", "--role", "volunteer")
    assert code == 0, output
    code, output = run(demo, "practitioner", "add", "--username", "val", "--role", "volunteer")
    assert code != 0
    assert "taken" in output
