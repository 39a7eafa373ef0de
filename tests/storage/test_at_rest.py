"""Non-negotiable 5: sensitive data is encrypted at rest; keys never in the database."""

from __future__ import annotations

from pathlib import Path

import pytest

from relay.config import Config
from relay.http import RELAY
from relay.storage.tx import Tx
from tests.conftest import VAULTS, World


async def _raw(world: World, config: Config) -> bytes:
    """What the database holds: SQLite's files as they are on disk; on PostgreSQL every value
    of every table, as the server returns it."""
    if config.database_url is None:
        data = b""
        for suffix in ("", "-wal"):
            path = Path(str(config.db_path) + suffix)
            if path.exists():
                data += path.read_bytes()
        return data
    relay = world.api.client.app[RELAY]

    def dump(tx: Tx) -> bytes:
        tables = tx.rows(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = 'public'"
        )
        out = []
        for (table,) in [tuple(t) for t in tables]:
            for row in tx.rows(f'SELECT * FROM "{table}"'):
                for value in row:
                    out.append(value if isinstance(value, bytes) else str(value).encode())
        return b"\x00".join(out)

    return await relay.store.read(dump)


async def test_database_file_holds_no_plaintext(world: World, config: Config) -> None:
    secret_letter = "The blue bicycle was my brother's, and I took it anyway."
    item = await world.api.ok(
        "POST",
        "/me/items",
        world.responsible,
        {"kind": "letter", "body": secret_letter},
        status=201,
    )
    await world.api.ok(
        "POST",
        f"/items/{item['id']}/decision",
        world.specialist,
        {"action": "reject", "version": 1, "note": "Mentions a third person."},
    )
    raw = await _raw(world, config)
    needles = [
        secret_letter,
        "blue bicycle",
        "Mentions a third person",
        "CR/20431/25",
        "Discussed support",
        "Admitted in interview",
    ]
    needles += [value for vault in VAULTS.values() for value in vault.values()]
    for needle in needles:
        assert needle.encode() not in raw, needle
        assert needle.encode("utf-16-le") not in raw, needle


async def test_keys_are_not_in_the_database(world: World, config: Config) -> None:
    raw = await _raw(world, config)
    key_files = [path for path in config.keys_dir.rglob("*") if path.is_file()]
    assert any(path.parent.name == "cases" for path in key_files)  # the case's shred key
    for key_file in key_files:
        assert key_file.read_bytes() not in raw
        assert key_file.read_bytes().hex().encode() not in raw


async def test_a_ciphertext_moved_to_another_row_does_not_open(world: World) -> None:
    from relay.crypto import DecryptionFailed

    relay = world.api.client.app[RELAY]
    a = await world.api.ok(
        "POST", "/me/items", world.responsible, {"kind": "letter", "body": "A"}, status=201
    )
    b = await world.api.ok(
        "POST", "/me/items", world.responsible, {"kind": "letter", "body": "B"}, status=201
    )
    await relay.store.write(
        lambda tx: tx.run(
            "UPDATE items SET body = (SELECT body FROM items WHERE id = ?) WHERE id = ?",
            (a["id"], b["id"]),
        )
    )

    def open_moved(tx: Tx) -> str:
        blob = tx.value("SELECT body FROM items WHERE id = ?", (b["id"],))
        return tx.cipher(world.case_id).open("items", b["id"], "body", bytes(blob))

    with pytest.raises(DecryptionFailed):
        await relay.store.read(open_moved)
