"""The `relay` command: init, refusals, audit verification, backup."""

from __future__ import annotations

import json
import os
import sqlite3
from pathlib import Path

import pytest
from click.testing import CliRunner

from relay.cli import main


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    return {
        "RELAY_DB": str(tmp_path / "relay.db"),
        "RELAY_KEYS": str(tmp_path / "keys"),
        "RELAY_PASSWORD": "a sufficiently long password",
        "RELAY_ARGON2_TIME_COST": "1",
        "RELAY_ARGON2_MEMORY_KIB": "1024",
    }


def run(env: dict[str, str], *args: str) -> tuple[int, str]:
    result = CliRunner().invoke(main, list(args), env=env, catch_exceptions=False)
    return result.exit_code, result.output


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
    before = Path(env["RELAY_DB"]).read_bytes()
    code, output = run(env, "init", "--username", "other")
    assert code != 0
    assert "already initialised" in output
    assert Path(env["RELAY_DB"]).read_bytes() == before


def test_init_refuses_a_short_password(env: dict[str, str]) -> None:
    code, output = run({**env, "RELAY_PASSWORD": "short"}, "init", "--username", "boss")
    assert code != 0
    assert "at least" in output
    assert not Path(env["RELAY_DB"]).exists()


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
    with sqlite3.connect(demo["RELAY_DB"]) as conn:
        conn.execute("DROP TRIGGER audit_events_no_update")
        conn.execute("UPDATE audit_events SET actor = 'staff:someone-else' WHERE seq = 5")
    code, output = run(demo, "audit", "verify")
    assert code == 1
    assert "event 5" in output


def test_audit_verify_notices_a_deleted_event(demo: dict[str, str]) -> None:
    with sqlite3.connect(demo["RELAY_DB"]) as conn:
        conn.execute("DROP TRIGGER audit_events_no_delete")
        conn.execute("DELETE FROM audit_events WHERE seq = 3")
    code, output = run(demo, "audit", "verify")
    assert code == 1
    assert "event 3" in output


def _anchor(env: dict[str, str]) -> dict[str, object]:
    path = Path(env["RELAY_KEYS"]) / "audit.anchor"
    assert path.stat().st_mode & 0o077 == 0
    return dict(json.loads(path.read_text()))


def _cut_the_end(env: dict[str, str], events: int) -> None:
    with sqlite3.connect(env["RELAY_DB"]) as conn:
        conn.execute("DROP TRIGGER audit_events_no_delete")
        conn.execute(
            "DELETE FROM audit_events WHERE seq > (SELECT MAX(seq) FROM audit_events) - ?",
            (events,),
        )


def test_the_anchor_in_keys_names_the_newest_event(demo: dict[str, str]) -> None:
    with sqlite3.connect(demo["RELAY_DB"]) as conn:
        [(seq, mac)] = conn.execute("SELECT seq, mac FROM audit_events ORDER BY seq DESC LIMIT 1")
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
    with sqlite3.connect(demo["RELAY_DB"]) as conn:
        conn.execute("DROP TRIGGER audit_events_no_update")
        conn.execute("UPDATE audit_events SET actor = 'staff:someone-else' WHERE seq = 2")
        before = conn.execute("SELECT COUNT(*) FROM audit_events").fetchone()
    code, output = run(demo, "audit", "reanchor")
    assert code != 0 and "event 2" in output
    assert _anchor(demo) == anchored
    with sqlite3.connect(demo["RELAY_DB"]) as conn:
        assert conn.execute("SELECT COUNT(*) FROM audit_events").fetchone() == before


def test_a_damaged_anchor_fails_verification_clearly(demo: dict[str, str]) -> None:
    (Path(demo["RELAY_KEYS"]) / "audit.anchor").write_text("not json")
    code, output = run(demo, "audit", "verify")
    assert code == 1
    assert "not a valid audit anchor" in output


def test_audit_rows_cannot_be_updated_through_sql(demo: dict[str, str]) -> None:
    with sqlite3.connect(demo["RELAY_DB"]) as conn, pytest.raises(sqlite3.DatabaseError):
        conn.execute("UPDATE audit_events SET actor = 'x' WHERE seq = 1")


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
