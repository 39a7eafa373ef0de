"""Key rotation and retirement, and the backup restore drill, through the `relay` command."""

from __future__ import annotations

import dataclasses
import stat
from pathlib import Path
from typing import Any

import pytest

from relay.app import create_app, open_relay
from relay.audit import anchor as audit_anchor
from relay.audit.anchor import Anchor, read_anchor, write_anchor
from relay.config import Config
from relay.crypto import CaseCipher, KeyStore
from relay.domain.hub import Relay
from relay.storage import Store
from tests.backends import on_postgres
from tests.conftest import PASSPHRASE, PASSWORD, Api, World
from tests.delivery.conftest import (
    approve,
    fetch,
    png_scan,
    relay_of,
    run_cli,
    sealed_fields,
    upload,
    write,
)

sqlite_only = pytest.mark.skipif(on_postgres(), reason="a SQLite file is restored")
postgres_only = pytest.mark.skipif(not on_postgres(), reason="pg_dump backs up PostgreSQL")
LETTER = "I wanted to say sorry properly, so I wrote this by hand."


async def with_letter_and_scan(world: World) -> str:
    item_id = await write(world, world.responsible, LETTER)
    status, _ = await upload(
        world, f"/me/items/{item_id}/attachments", world.responsible, png_scan(), "image/png"
    )
    assert status == 201
    await approve(world, item_id)
    return item_id


async def data_keys(relay: Relay) -> dict[str, bytes]:
    """Every case's wrapped data key, by case id (those shredded left out)."""
    rows = await relay.store.read(
        lambda tx: tx.rows("SELECT id, data_key FROM cases WHERE data_key IS NOT NULL")
    )
    return {str(row[0]): bytes(row[1]) for row in rows}


async def plaintexts(relay: Relay) -> dict[tuple[str, str, str], bytes]:
    """Every sealed field of every case that still has a key, opened with that key."""
    opened = {}
    for case_id, wrapped in (await data_keys(relay)).items():
        cipher = CaseCipher(case_id, relay.keys.unwrap(case_id, wrapped))
        for sealed in await sealed_fields(relay.store, case_id):
            plain = cipher.open_bytes(sealed.table, sealed.row_id, sealed.field, sealed.blob)
            opened[(sealed.table, sealed.row_id, sealed.field)] = plain
    return opened


async def test_rotation_rewraps_every_case_and_the_old_master_can_be_retired(
    world: World, config: Config
) -> None:
    await with_letter_and_scan(world)
    await world.api.ok(
        "POST",
        "/cases",
        world.specialist,
        {"crime_reference": "CR/555/26", "modality": "shuttle", "risk_level": "high"},
        status=201,
    )
    before = await plaintexts(relay_of(world))
    await world.api.client.close()  # rotate with the service stopped (see the report)

    rotated = await run_cli(config, "keys", "rotate")

    assert rotated.exit_code == 0, rotated.output
    assert "Re-wrapped 2 data key(s) under master key 0002." in rotated.output
    assert "master-0001.key" in rotated.output  # told it can now be retired
    new_key = config.keys_dir / "master-0002.key"
    assert stat.S_IMODE(new_key.stat().st_mode) == 0o600
    relay = await open_relay(config)
    try:
        wrapped = await data_keys(relay)
        assert {relay.keys.wrapped_with(key) for key in wrapped.values()} == {2}
        assert await plaintexts(relay) == before
    finally:
        await relay.close()

    (config.keys_dir / "master-0001.key").unlink()  # retire the old master key
    relay = await open_relay(config)
    try:
        assert await plaintexts(relay) == before
    finally:
        await relay.close()
    verified = await run_cli(config, "audit", "verify")
    assert verified.exit_code == 0, verified.output


async def test_rotation_while_serving_wraps_new_cases_under_the_new_key(
    world: World, config: Config
) -> None:
    rotated = await run_cli(config, "keys", "rotate")  # the test app keeps serving
    assert rotated.exit_code == 0, rotated.output

    created = await world.api.ok(
        "POST",
        "/cases",
        world.specialist,
        {"crime_reference": "CR/777/26", "modality": "letters", "risk_level": "standard"},
        status=201,
    )
    await with_letter_and_scan(world)  # the running service still opens the re-wrapped case
    relay = relay_of(world)
    wrapped = await data_keys(relay)
    assert {case_id: relay.keys.wrapped_with(key) for case_id, key in wrapped.items()} == {
        world.case_id: 2,
        created["id"]: 2,
    }
    before = await plaintexts(relay)
    await world.api.client.close()

    (config.keys_dir / "master-0001.key").unlink()
    restarted = await open_relay(config)
    try:
        assert await plaintexts(restarted) == before
    finally:
        await restarted.close()


async def read_file(config: Config, path: Path, sql: str) -> object:
    """The first value `sql` finds in the SQLite database file at `path`."""
    store = await Store(KeyStore.load(config.keys_dir), path=path).open()
    try:
        return await store.read(lambda tx: tx.value(sql))
    finally:
        await store.close()


@sqlite_only
async def test_restore_drill_backup_while_serving_opens_with_the_same_keys(
    world: World, config: Config, tmp_path: Path, aiohttp_client: Any
) -> None:
    item_id = await with_letter_and_scan(world)
    await world.api.ok("POST", f"/me/items/{item_id}/open", world.harmed)
    target = tmp_path / "backups" / "relay-backup.db"
    target.parent.mkdir()

    made = await run_cli(config, "backup", str(target))  # the test app keeps serving meanwhile
    later = await write(world, world.harmed, "Written after the backup.")

    assert made.exit_code == 0, made.output
    assert "Keys are not in the backup" in made.output
    assert stat.S_IMODE(target.stat().st_mode) == 0o600
    again = await run_cli(config, "backup", str(target))
    assert again.exit_code != 0
    assert "already exists" in again.output
    assert await read_file(config, target, "PRAGMA integrity_check") == "ok"

    # Restore: the backup becomes the database, with the same keys folder.
    restored_config = dataclasses.replace(config, db_path=target)
    # The anchor in keys/ names an event written after the backup: verify says so, and the
    # operator accepts the restore deliberately, which the log records.
    verified = await run_cli(restored_config, "audit", "verify")
    assert verified.exit_code == 1 and "restored from a backup" in verified.output
    accepted = await run_cli(restored_config, "audit", "reanchor")
    assert accepted.exit_code == 0, accepted.output
    verified = await run_cli(restored_config, "audit", "verify")
    assert verified.exit_code == 0, verified.output
    last = "SELECT action FROM audit_events ORDER BY seq DESC LIMIT 1"
    assert await read_file(config, target, last) == "audit.reanchored"
    api = Api(await aiohttp_client(create_app(restored_config)))
    staff = await api.ok("POST", "/login", json={"username": "sam", "password": PASSWORD})
    item = await api.ok("GET", f"/items/{item_id}", staff["token"])
    assert item["text"] == LETTER
    assert (await api.get(f"/items/{later}", staff["token"]))[0] == 404  # after the backup
    party = await api.ok(
        "POST", "/party/login", json={"login": world.logins["harmed"], "passphrase": PASSPHRASE}
    )
    inbox = await api.ok("GET", "/me/items", party["token"])
    assert [(r["id"], r["text"]) for r in inbox["received"]] == [(item_id, LETTER)]
    restored_world = dataclasses.replace(world, api=api)
    status, headers, data = await fetch(
        restored_world, f"/me/items/{item_id}/attachments/1", party["token"]
    )
    assert (status, headers["Content-Type"]) == (200, "image/png")
    assert data.startswith(b"\x89PNG")


@postgres_only
async def test_backup_on_postgresql_is_a_pg_dump_archive(world: World, config: Config) -> None:
    await with_letter_and_scan(world)
    target = config.db_path.parent / "relay.dump"

    made = await run_cli(config, "backup", str(target))  # the test app keeps serving meanwhile

    assert made.exit_code == 0, made.output
    assert "Keys are not in the backup" in made.output
    assert stat.S_IMODE(target.stat().st_mode) == 0o600
    assert target.read_bytes().startswith(b"PGDMP")  # pg_dump's custom format, for pg_restore
    again = await run_cli(config, "backup", str(target))
    assert again.exit_code != 0 and "already exists" in again.output


async def test_the_running_hub_records_the_newest_audit_event_in_keys(
    world: World, config: Config
) -> None:
    relay = relay_of(world)
    await write(world, world.harmed, "A letter, so that there is something new to anchor.")
    await relay.anchor_audit()
    newest = await relay.store.read(audit_anchor.head)
    assert newest is not None and read_anchor(config.keys_dir) == newest
    # An anchor ahead of the log (as after a restore) is never moved back by the hub.
    ahead = Anchor(newest.seq + 50, "0" * 64)
    write_anchor(config.keys_dir, ahead)
    await write(world, world.harmed, "Another letter.")
    await relay.anchor_audit()
    assert read_anchor(config.keys_dir) == ahead
