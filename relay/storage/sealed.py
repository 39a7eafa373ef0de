"""Which columns are encrypted, and the one place that seals and opens them.

Every sealed value is AES-GCM under its case's data key with associated data binding it to
(case, table, row, field): a ciphertext copied to another row, column or case fails to open.
Storage modules call `seal`/`open_*` with the table, row and field; no caller above storage
ever spells out associated data. tests/storage/test_at_rest.py checks this list against the
schema.
"""

from __future__ import annotations

import json

from relay.storage.tx import Tx

SEALED: dict[str, frozenset[str]] = {
    "cases": frozenset({"crime_reference", "admission_notes", "agreement_terms"}),
    "participants": frozenset({"vault"}),
    "assessments": frozenset({"notes"}),
    "items": frozenset({"original", "body", "findings", "dismissed", "note", "content_note"}),
    "attachments": frozenset({"data"}),
    "meetings": frozenset({"venue", "notes"}),
}


def _declared(table: str, field: str) -> None:
    if field not in SEALED.get(table, frozenset()):
        raise KeyError(f"{table}.{field} is not a sealed column (see relay/storage/sealed.py)")


def seal(tx: Tx, case_id: str, table: str, row_id: str, field: str, value: str) -> bytes:
    _declared(table, field)
    return tx.cipher(case_id).seal(table, row_id, field, value)


def seal_json(tx: Tx, case_id: str, table: str, row_id: str, field: str, value: object) -> bytes:
    return seal(tx, case_id, table, row_id, field, json.dumps(value, separators=(",", ":")))


def seal_bytes(tx: Tx, case_id: str, table: str, row_id: str, field: str, value: bytes) -> bytes:
    _declared(table, field)
    return tx.cipher(case_id).seal_bytes(table, row_id, field, value)


def open_text(tx: Tx, case_id: str, table: str, row_id: str, field: str, blob: object) -> str:
    _declared(table, field)
    return tx.cipher(case_id).open(table, row_id, field, _as_bytes(blob))


def open_optional(
    tx: Tx, case_id: str, table: str, row_id: str, field: str, blob: object
) -> str | None:
    return None if blob is None else open_text(tx, case_id, table, row_id, field, blob)


def open_json(tx: Tx, case_id: str, table: str, row_id: str, field: str, blob: object) -> object:
    return json.loads(open_text(tx, case_id, table, row_id, field, blob))


def open_bytes(tx: Tx, case_id: str, table: str, row_id: str, field: str, blob: object) -> bytes:
    _declared(table, field)
    return tx.cipher(case_id).open_bytes(table, row_id, field, _as_bytes(blob))


def _as_bytes(blob: object) -> bytes:
    """A stored blob as bytes (psycopg may hand back a memoryview)."""
    if isinstance(blob, bytes | bytearray | memoryview):
        return bytes(blob)
    raise TypeError(f"a sealed value must be bytes, not {type(blob).__name__}")
