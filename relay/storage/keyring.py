"""The cases' wrapped data keys, as key rotation reads and replaces them.

Unwrapping and wrapping happen outside the transaction (relay/maintenance.py); `rewrap` then
replaces a key only if it is still the one that was read, so a case shredded or re-wrapped
meanwhile is left as it is.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from relay.storage.tx import Tx


@dataclass(frozen=True, slots=True)
class WrappedKey:
    case_id: str
    wrapped: bytes


def count(tx: Tx) -> int:
    """How many cases still have a data key."""
    return int(tx.value("SELECT COUNT(*) FROM cases WHERE data_key IS NOT NULL"))


def page(tx: Tx, after: str, limit: int) -> list[WrappedKey]:
    """Up to `limit` wrapped data keys of cases whose id sorts after `after`, by case id."""
    rows = tx.rows(
        "SELECT id, data_key FROM cases WHERE data_key IS NOT NULL AND id > ? ORDER BY id LIMIT ?",
        (after, limit),
    )
    return [WrappedKey(str(row[0]), bytes(row[1])) for row in rows]


def rewrap(tx: Tx, changes: Sequence[tuple[WrappedKey, bytes]]) -> int:
    """Replace each read key with its new wrapping, unless it changed since; how many were."""
    done = 0
    for old, new in changes:
        done += tx.run(
            "UPDATE cases SET data_key = ? WHERE id = ? AND data_key = ?",
            (new, old.case_id, old.wrapped),
        )
    return done
