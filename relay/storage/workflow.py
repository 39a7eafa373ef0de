"""The practitioner's workflow: saved reasons, the thread and reporting (a case's outcomes
and agreement terms are recorded by storage/cases.py at close)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass

from relay.storage import items
from relay.storage.items import Content, Item
from relay.storage.tx import Tx


@dataclass(frozen=True, slots=True)
class SavedReason:
    id: str
    purpose: str  # return | reject
    text: str


@dataclass(frozen=True, slots=True)
class NewReason:
    id: str
    purpose: str
    text: str
    position: int


def saved_reasons(tx: Tx) -> list[SavedReason]:
    rows = tx.rows("SELECT id, purpose, text FROM saved_reasons ORDER BY purpose, position")
    return [SavedReason(row["id"], row["purpose"], row["text"]) for row in rows]


def replace_saved_reasons(
    tx: Tx, reasons: Sequence[NewReason], *, updated_by: str, updated_at: str
) -> None:
    """The whole list, replaced."""
    tx.run("DELETE FROM saved_reasons")
    if reasons:
        tx.many(
            "INSERT INTO saved_reasons (id, purpose, text, position, updated_by, updated_at) "
            "VALUES (?, ?, ?, ?, ?, ?)",
            [(r.id, r.purpose, r.text, r.position, updated_by, updated_at) for r in reasons],
        )


def thread(tx: Tx, case_id: str) -> list[tuple[Item, Content]]:
    """Every item of the case in the order written, with its content opened.

    The case's key is checked first: a shredded case is a Conflict even with no items left.
    """
    tx.cipher(case_id)
    rows = tx.rows(
        f"SELECT {items.COLUMNS} FROM items WHERE case_id = ? ORDER BY seq",  # noqa: S608
        (case_id,),
    )
    found = [Item.from_row(row) for row in rows]
    return [(item, items.content(tx, item)) for item in found]


def cases_by_status(tx: Tx) -> dict[str, int]:
    rows = tx.rows("SELECT status, COUNT(*) FROM cases GROUP BY status")
    return {row[0]: int(row[1]) for row in rows}


def recorded_outcomes(tx: Tx) -> list[list[str]]:
    """The outcomes recorded at close, one list per case that has some."""
    rows = tx.rows("SELECT outcomes FROM cases WHERE outcomes IS NOT NULL")
    return [list(json.loads(row[0])) for row in rows]


def delivered_count(tx: Tx) -> int:
    return int(tx.value("SELECT COUNT(*) FROM items WHERE delivered_at IS NOT NULL"))


def _hours(tx: Tx) -> str:
    """Hours from writing to delivery of an item, as SQL (times are ISO-8601 text)."""
    if tx.dialect == "sqlite":
        return "(julianday(delivered_at) - julianday(created_at)) * 24"
    return (
        "EXTRACT(EPOCH FROM (CAST(delivered_at AS timestamptz) - "
        "CAST(created_at AS timestamptz))) / 3600.0"
    )


def hours_to_delivery(tx: Tx, *, limit: int, offset: int) -> list[float]:
    """Hours from writing to delivery of delivered items, shortest first: `limit` of them
    from `offset` (the store orders them; nothing else is read)."""
    rows = tx.rows(
        f"SELECT {_hours(tx)} AS hours FROM items "  # noqa: S608 - our own expression
        "WHERE delivered_at IS NOT NULL ORDER BY hours LIMIT ? OFFSET ?",
        (limit, offset),
    )
    return [float(row[0]) for row in rows]
