"""Crypto-shredding: after retention nothing of a case opens, with any key; the audit holds."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest

from relay.clock import FrozenClock
from relay.config import Config
from relay.crypto import CaseCipher, DecryptionFailed
from relay.domain.errors import Conflict
from relay.maintenance import run_retention
from tests.backends import on_postgres
from tests.conftest import World, all_vault_values
from tests.delivery.conftest import (
    ENCRYPTED,
    NOT_CASE_SEALED,
    approve,
    blob_columns,
    current_blob,
    gps_photo,
    relay_of,
    run_cli,
    sealed_fields,
    upload,
    write,
)

LETTER = "I am sorry. I still think about the evening at the station."
RETURNED = "Meet me at the Fox and Hounds on Friday."


async def build_history(world: World) -> str:
    """Every kind of sealed field: letters, a file, notes, findings, a returned item."""
    api = world.api
    item_id = await write(world, world.responsible, LETTER)
    status, _ = await upload(
        world, f"/me/items/{item_id}/attachments", world.responsible, gps_photo()
    )
    assert status == 201
    item = await api.ok("GET", f"/items/{item_id}", world.specialist)
    await api.ok(
        "POST",
        f"/items/{item_id}/decision",
        world.specialist,
        {"action": "approve", "version": item["version"], "content_note": "A short apology."},
    )
    # Opened with an Idempotency-Key: the stored replay quotes the letter.
    status, opened = await api.post(
        f"/me/items/{item_id}/open", world.harmed, headers={"Idempotency-Key": "open-1"}
    )
    assert (status, opened["text"]) == (200, LETTER)
    returned = await write(world, world.harmed, RETURNED)
    item = await api.ok("GET", f"/items/{returned}", world.specialist)
    await api.ok(
        "POST",
        f"/items/{returned}/decision",
        world.specialist,
        {"action": "return", "version": item["version"], "note": "Please do not suggest meeting."},
    )
    await approve(world, await write(world, world.harmed, "Thank you for the letter."))
    for pid in (world.harmed_id, world.responsible_id):
        await api.ok(
            "POST",
            f"/cases/{world.case_id}/participants/{pid}/meet-consent",
            world.specialist,
            {"given": True},
        )
    await api.ok(
        "PUT",
        f"/cases/{world.case_id}/meeting",
        world.specialist,
        {
            "starts_at": "2026-04-14T10:30",
            "venue": "Hub meeting room 2",
            "attendees": [world.harmed_id, world.responsible_id],
            "notes": "Quiet room, tissues, water.",
        },
    )
    return item_id


async def close_with_agreement(world: World) -> None:
    await world.api.ok(
        "POST",
        f"/cases/{world.case_id}/close",
        world.specialist,
        {"outcomes": ["agreement"], "agreement_terms": "A written apology and 20 hours of work."},
    )


async def test_sealed_columns_are_all_known_to_these_tests(world: World) -> None:
    columns = await blob_columns(relay_of(world).store)

    sealed = {(table, name) for table, (_, _, fields) in ENCRYPTED.items() for name in fields}
    assert columns == sealed | NOT_CASE_SEALED


async def test_after_shredding_no_ciphertext_of_the_case_opens(
    world: World, clock: FrozenClock, config: Config
) -> None:
    relay = relay_of(world)
    store = relay.store
    item_id = await build_history(world)
    await close_with_agreement(world)
    wrapped = await store.read(lambda tx: tx.value("SELECT data_key FROM cases"))
    old_key = CaseCipher(world.case_id, relay.keys.unwrap(world.case_id, bytes(wrapped)))
    before = await sealed_fields(store, world.case_id)
    sealed_kinds = {(s.table, s.field) for s in before}
    assert sealed_kinds == {(t, f) for t, (_, _, fields) in ENCRYPTED.items() for f in fields}
    for sealed in before:  # the captured key really opens everything now
        old_key.open_bytes(sealed.table, sealed.row_id, sealed.field, sealed.blob)

    clock.set(clock.now + timedelta(days=config.retention_days - 1))
    assert await run_retention(relay) == []  # not yet due
    clock.set(clock.now + timedelta(days=2))
    assert await run_retention(relay) == [world.case_id]

    for sealed in before:
        blob = await current_blob(store, sealed)
        if blob:  # whatever is left must not open with the old key
            with pytest.raises(DecryptionFailed):
                old_key.open_bytes(sealed.table, sealed.row_id, sealed.field, blob)
    assert await sealed_fields(store, world.case_id) == []
    assert await store.read(lambda tx: tx.value("SELECT data_key FROM cases")) is None
    with pytest.raises(Conflict, match="destroyed"):
        await store.read(lambda tx: tx.cipher(world.case_id))
    assert await store.read(lambda tx: tx.rows("SELECT * FROM attachments")) == []
    # The case's shred key is gone too: the data key read before does not open any more.
    with pytest.raises(DecryptionFailed):
        relay.keys.unwrap(world.case_id, bytes(wrapped))

    if not on_postgres():
        # Nor is any of it left in the files: secure_delete zeroed it, the WAL was checkpointed.
        # (PostgreSQL keeps dead row versions until VACUUM: there the destroyed shred key is
        # what makes every copy of the data key useless.)
        files = b"".join(
            path.read_bytes()
            for path in config.db_path.parent.iterdir()
            if path.name.startswith(config.db_path.name)
        )
        for sealed in before:
            pieces = [sealed.blob[i : i + 24] for i in range(12, len(sealed.blob) - 24, 997)]
            assert not any(piece in files for piece in pieces), (sealed.table, sealed.field)

    # Stored idempotent replies of the case's participants are gone too.
    idempotency = CaseCipher("idempotency", relay.keys.derived_key("idempotency"))
    replays = await store.read(lambda tx: tx.rows("SELECT principal, key, body FROM idempotency"))
    for principal, key, body in replays:
        replay = json.loads(
            idempotency.open("idempotency", f"{principal}/{key}", "body", bytes(body))
        )
        assert LETTER not in replay["text"]

    staff = await world.staff_token("sam")
    status, problem = await world.api.get(f"/items/{item_id}", staff)
    assert (status, problem["detail"]) == (
        409,
        "This case's content has been destroyed under the retention policy.",
    )
    assert (await world.api.get(f"/items/{item_id}/attachments/1", staff))[0] == 409
    assert (await world.api.get("/me/items", world.harmed))[0] == 401
    case = await world.api.ok("GET", f"/cases/{world.case_id}", staff)
    assert case["crime_reference"] is None
    contact = await world.api.get(
        f"/cases/{world.case_id}/participants/{world.harmed_id}/contact", staff
    )
    assert contact[0] == 409
    assert not any(value in json.dumps(contact[1]) for value in all_vault_values())

    verified = await run_cli(config, "audit", "verify")
    assert verified.exit_code == 0, verified.output
    audit = await world.api.ok("GET", f"/cases/{world.case_id}/audit", staff)
    assert audit["events"][-1]["action"] == "case.shredded"


async def test_idempotent_replies_are_purged_after_a_day(world: World, clock: FrozenClock) -> None:
    relay = relay_of(world)
    item_id = await write(world, world.responsible, LETTER)
    await approve(world, item_id)
    await world.api.post(
        f"/me/items/{item_id}/open", world.harmed, headers={"Idempotency-Key": "k"}
    )

    async def count() -> int:
        return int(await relay.store.read(lambda tx: tx.value("SELECT COUNT(*) FROM idempotency")))

    assert await count() == 1
    clock.set(clock.now + timedelta(hours=23))
    await run_retention(relay)
    assert await count() == 1
    clock.set(clock.now + timedelta(hours=2))
    await run_retention(relay)
    assert await count() == 0
