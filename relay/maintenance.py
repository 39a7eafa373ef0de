"""Operations on the whole store: key rotation, retention (crypto-shredding), backup."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

from relay.api.idempotency import RETENTION as IDEMPOTENCY_RETENTION
from relay.domain.actors import SYSTEM
from relay.domain.hub import Relay, stamp
from relay.storage import Connection, fetch_all


async def rotate_keys(relay: Relay, progress: Callable[[int], None] | None = None) -> int:
    """Add a new master key and re-wrap every case's data key under it; return the count."""
    new_id = relay.keys.add_master()
    rows = await fetch_all(
        relay.db.reader, "SELECT id, data_key FROM cases WHERE data_key IS NOT NULL ORDER BY id"
    )
    done = 0
    batch = 200
    for start in range(0, len(rows), batch):
        chunk = rows[start : start + batch]
        async with relay.db.write() as conn:
            for case_id, wrapped in chunk:
                data_key = relay.keys.unwrap(case_id, wrapped)
                await conn.execute(
                    "UPDATE cases SET data_key = ? WHERE id = ?",
                    (relay.keys.wrap(case_id, data_key), case_id),
                )
        done += len(chunk)
        if progress is not None:
            progress(len(chunk))
    async with relay.db.write() as conn:
        await relay.audit.append(
            conn, at=relay.now(), actor="cli", action="keys.rotated", master=new_id, cases=done
        )
    return done


async def master_keys_in_use(relay: Relay) -> set[int]:
    rows = await fetch_all(relay.db.reader, "SELECT data_key FROM cases WHERE data_key IS NOT NULL")
    return {relay.keys.wrapped_with(row[0]) for row in rows}


async def run_retention(relay: Relay) -> list[str]:
    """Destroy the data key of every case that ended more than the retention period ago.

    Content, notes, findings and the vault become unrecoverable (their ciphertexts are also
    deleted, and secure_delete overwrites the pages); the audit chain stays and still verifies.
    """
    cutoff = relay.now() - timedelta(days=relay.config.retention_days)
    due = await fetch_all(
        relay.db.reader,
        "SELECT id FROM cases WHERE status IN ('closed', 'withdrawn') AND shredded_at IS NULL "
        "AND ended_at IS NOT NULL AND ended_at <= ? ORDER BY ended_at",
        (stamp(cutoff),),
    )
    shredded = []
    async with relay.db.write() as conn:
        # Idempotent replays are kept 24 h; past that their stored answers (which can quote a
        # letter or an invite code, under a service-wide key) must not outlive a shredded case.
        await conn.execute(
            "DELETE FROM idempotency WHERE created_at <= ?",
            (stamp(relay.now() - IDEMPOTENCY_RETENTION),),
        )
    for (case_id,) in due:
        async with relay.db.write() as conn:
            await _shred(conn, case_id, stamp(relay.now()))
            await relay.audit.append(
                conn,
                at=relay.now(),
                actor=SYSTEM,
                action="case.shredded",
                case_id=case_id,
                subject=case_id,
            )
        relay.forget_cipher(case_id)
        shredded.append(case_id)
    if shredded:
        # Older page images of what was just overwritten may still sit in the WAL file; copy the
        # WAL into the database and truncate it (best effort: a busy reader makes it partial).
        await relay.db.checkpoint()
    return shredded


async def _shred(conn: Connection, case_id: str, now: str) -> None:
    await conn.execute(
        "UPDATE cases SET data_key = NULL, crime_reference = NULL, admission_notes = NULL, "
        "agreement_terms = NULL, shredded_at = ? WHERE id = ?",
        (now, case_id),
    )
    await conn.execute("DELETE FROM meetings WHERE case_id = ?", (case_id,))
    await conn.execute(
        "UPDATE items SET original = x'', body = x'', findings = x'', dismissed = x'', "
        "note = NULL, content_note = NULL WHERE case_id = ?",
        (case_id,),
    )
    await conn.execute("UPDATE participants SET vault = NULL WHERE case_id = ?", (case_id,))
    await conn.execute("DELETE FROM attachments WHERE case_id = ?", (case_id,))
    await conn.execute(
        "DELETE FROM idempotency WHERE principal IN "
        "(SELECT 'party:' || id FROM participants WHERE case_id = ?)",
        (case_id,),
    )
    await conn.execute("UPDATE assessments SET notes = NULL WHERE case_id = ?", (case_id,))
    await conn.execute(
        "DELETE FROM sessions WHERE subject_id IN (SELECT id FROM participants WHERE case_id = ?)",
        (case_id,),
    )


async def backup(relay: Relay, target: Path) -> None:
    """A consistent copy of the live database (SQLite's online backup), safe while serving."""
    try:
        # Created owner-only: a backup holds wrapped data keys, ciphertexts and aliases.
        target.touch(mode=0o600, exist_ok=False)
    except FileExistsError as exc:
        raise FileExistsError(f"{target} already exists; choose a new file name") from exc
    try:
        await relay.db.backup(target)
    except BaseException:
        target.unlink(missing_ok=True)  # never leave a half-written file that looks like one
        raise
