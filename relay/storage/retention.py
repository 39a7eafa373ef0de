"""Retention: which ended cases are due for crypto-shredding, and the shredding itself.

Shredding destroys the case's wrapped data key and deletes every ciphertext sealed under it
(on SQLite `secure_delete` overwrites the freed pages); the case record, the item metadata and
the audit chain stay. The caller then destroys the case's shred key in keys/cases/
(`KeyStore.destroy_case_key`), which makes every other copy of the wrapped data key (a dead
PostgreSQL row version, the WAL, a backup) unopenable too.
"""

from __future__ import annotations

from relay.domain.states import TERMINAL
from relay.storage import idempotency, sessions
from relay.storage.tx import Tx


def due(tx: Tx, cutoff: str) -> list[str]:
    """Cases that ended (closed or withdrawn) at or before `cutoff` and are not yet shredded,
    the longest ended first."""
    ended = sorted(TERMINAL)
    rows = tx.rows(
        f"SELECT id FROM cases WHERE status IN ({', '.join('?' for _ in ended)}) "  # noqa: S608
        "AND shredded_at IS NULL AND ended_at IS NOT NULL AND ended_at <= ? ORDER BY ended_at",
        (*ended, cutoff),
    )
    return [str(row[0]) for row in rows]


def shredded(tx: Tx) -> list[str]:
    """Every case already shredded (their shred keys must be gone too)."""
    return [str(row[0]) for row in tx.rows("SELECT id FROM cases WHERE shredded_at IS NOT NULL")]


def purge_replays(tx: Tx, cutoff: str) -> int:
    """Stored idempotent answers made at or before `cutoff` (they can quote a letter or an
    invite code, under a service-wide key, so must not outlive a shredded case); how many."""
    return idempotency.purge(tx, cutoff)


def shred(tx: Tx, case_id: str, at: str) -> bool:
    """Destroy the case's data key and delete everything sealed under it; sign its parties out.

    False (nothing changed) if the case was shredded already, say by another `relay serve` on
    the same database. The cached cipher is dropped once this commits.
    """
    if not tx.run(
        "UPDATE cases SET data_key = NULL, crime_reference = NULL, admission_notes = NULL, "
        "agreement_terms = NULL, shredded_at = ? WHERE id = ? AND shredded_at IS NULL",
        (at, case_id),
    ):
        return False
    tx.run("DELETE FROM meetings WHERE case_id = ?", (case_id,))
    empty = b""  # the NOT NULL sealed columns of items keep an empty value
    tx.run(
        "UPDATE items SET original = ?, body = ?, findings = ?, dismissed = ?, note = NULL, "
        "content_note = NULL WHERE case_id = ?",
        (empty, empty, empty, empty, case_id),
    )
    tx.run("UPDATE participants SET vault = NULL WHERE case_id = ?", (case_id,))
    tx.run("DELETE FROM attachments WHERE case_id = ?", (case_id,))
    idempotency.delete_of_case(tx, case_id)
    tx.run("UPDATE assessments SET notes = NULL WHERE case_id = ?", (case_id,))
    sessions.delete_of_case(tx, case_id)
    tx.forget_cipher(case_id)
    return True
