"""Non-negotiable 5: sensitive data is encrypted at rest; keys never in the database."""

from __future__ import annotations

from pathlib import Path

from relay.config import Config
from tests.conftest import VAULTS, World


def _raw(config: Config) -> bytes:
    data = b""
    for suffix in ("", "-wal"):
        path = Path(str(config.db_path) + suffix)
        if path.exists():
            data += path.read_bytes()
    return data


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
    raw = _raw(config)
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
    raw = _raw(config)
    for key_file in config.keys_dir.iterdir():
        assert key_file.read_bytes() not in raw
        assert key_file.read_bytes().hex().encode() not in raw


async def test_a_ciphertext_moved_to_another_row_does_not_open(world: World) -> None:
    from relay.crypto import DecryptionFailed
    from relay.keys import RELAY

    relay = world.api.client.app[RELAY]
    a = await world.api.ok(
        "POST", "/me/items", world.responsible, {"kind": "letter", "body": "A"}, status=201
    )
    b = await world.api.ok(
        "POST", "/me/items", world.responsible, {"kind": "letter", "body": "B"}, status=201
    )
    async with relay.db.write() as conn:
        await conn.execute(
            "UPDATE items SET body = (SELECT body FROM items WHERE id = ?) WHERE id = ?",
            (a["id"], b["id"]),
        )
    cipher = await relay.cipher(relay.db.reader, world.case_id)
    rows = await relay.db.reader.execute_fetchall("SELECT body FROM items WHERE id = ?", (b["id"],))
    try:
        cipher.open("items", b["id"], "body", rows[0][0])
    except DecryptionFailed:
        pass
    else:
        raise AssertionError("a ciphertext bound to another row opened")
