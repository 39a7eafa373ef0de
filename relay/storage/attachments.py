"""Attachments: the cleaned files of a letter, sealed under the case's data key."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from relay.storage import sealed
from relay.storage.tx import Tx

_LISTING_CHUNK = 500  # ids per IN (...) list


@dataclass(frozen=True, slots=True)
class Attachment:
    """An attachment's metadata (its bytes are read with `opened`)."""

    id: str
    item_id: str
    case_id: str
    n: int
    media_type: str
    size: int


@dataclass(frozen=True, slots=True)
class Listing:
    """What a reader may learn about a file before downloading it."""

    n: int
    media_type: str
    size: int


def count_and_last(tx: Tx, item_id: str) -> tuple[int, int]:
    """How many files the item has, and the highest number given to one so far (0 if none)."""
    row = tx.one(
        "SELECT COUNT(*), COALESCE(MAX(n), 0) FROM attachments WHERE item_id = ?", (item_id,)
    )
    assert row is not None
    return int(row[0]), int(row[1])


def insert(
    tx: Tx,
    attachment: Attachment,
    data: bytes,
    *,
    added_by: str,
    created_at: str,
) -> None:
    """Store a cleaned file (plain bytes: sealed here)."""
    tx.run(
        "INSERT INTO attachments (id, item_id, case_id, n, media_type, size, data, added_by, "
        "created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (
            attachment.id,
            attachment.item_id,
            attachment.case_id,
            attachment.n,
            attachment.media_type,
            attachment.size,
            sealed.seal_bytes(tx, attachment.case_id, "attachments", attachment.id, "data", data),
            added_by,
            created_at,
        ),
    )


def find(tx: Tx, item_id: str, n: int) -> Attachment | None:
    row = tx.one(
        "SELECT id, item_id, case_id, n, media_type, size FROM attachments "
        "WHERE item_id = ? AND n = ?",
        (item_id, n),
    )
    if row is None:
        return None
    return Attachment(
        row["id"], row["item_id"], row["case_id"], row["n"], row["media_type"], row["size"]
    )


def opened(tx: Tx, case_id: str, item_id: str, n: int) -> tuple[Attachment, bytes] | None:
    """File `n` of the item with its bytes opened, or None if there is no such file.

    The case's key is checked first: once the case is shredded this is a Conflict, whether or
    not the file exists.
    """
    tx.cipher(case_id)
    attachment = find(tx, item_id, n)
    if attachment is None:
        return None
    blob = tx.value("SELECT data FROM attachments WHERE id = ?", (attachment.id,))
    data = sealed.open_bytes(tx, case_id, "attachments", attachment.id, "data", blob)
    return attachment, data


def delete(tx: Tx, attachment_id: str) -> None:
    """Remove a file (SQLite's secure_delete overwrites the freed pages)."""
    tx.run("DELETE FROM attachments WHERE id = ?", (attachment_id,))


def listings(tx: Tx, item_ids: Sequence[str]) -> dict[str, list[Listing]]:
    """The files of each of the items, by item id, in order; no content is opened."""
    ids = list(dict.fromkeys(item_ids))
    found: dict[str, list[Listing]] = {}
    for start in range(0, len(ids), _LISTING_CHUNK):
        chunk = ids[start : start + _LISTING_CHUNK]
        marks = ", ".join("?" for _ in chunk)
        rows = tx.rows(
            "SELECT item_id, n, media_type, size FROM attachments "  # noqa: S608 - only marks
            f"WHERE item_id IN ({marks}) ORDER BY item_id, n",
            chunk,
        )
        for row in rows:
            found.setdefault(row["item_id"], []).append(
                Listing(row["n"], row["media_type"], row["size"])
            )
    return found
