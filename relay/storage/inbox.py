"""A participant's reads: what their side sent, what it received, and their preferences.

The wall: these records open only what the participant's side may read of an item (for the
author, their own text, what was delivered of it and the practitioner's note to them; for the
recipient, the content note and, once they opened it, the delivered text). Nothing here reads a
participant's vault, so no record can carry contact details.
"""

from __future__ import annotations

from dataclasses import dataclass

from relay.domain.states import SENT_BACK, ItemState
from relay.storage import sealed
from relay.storage.items import COLUMNS, Item
from relay.storage.tx import Row, Tx


def _optional(tx: Tx, item: Item, row: Row, field: str) -> str | None:
    return sealed.open_optional(tx, item.case_id, "items", item.id, field, row[field])


@dataclass(frozen=True, slots=True)
class Sent:
    """An item as its author's side sees it."""

    item: Item
    original: str  # what the author wrote (their latest version)
    delivered: str | None  # what was delivered, on a delivered item
    note: str | None  # the practitioner's note, on a returned or rejected item


def _sent(tx: Tx, row: Row) -> Sent:
    item = Item.from_row(row)
    original = sealed.open_text(tx, item.case_id, "items", item.id, "original", row["original"])
    delivered = _optional(tx, item, row, "body") if item.state == ItemState.DELIVERED else None
    note = _optional(tx, item, row, "note") if item.state in SENT_BACK else None
    return Sent(item, original, delivered, note)


def sent(tx: Tx, case_id: str, participant_id: str, *, as_author: bool) -> list[Sent]:
    """What the participant sent, in writing order: by `sender_id` (a principal: their side's,
    including letters entered or written for them) or, `as_author`, only what they wrote."""
    column = "author_id" if as_author else "sender_id"
    rows = tx.rows(
        f"SELECT {COLUMNS}, original, body, note FROM items "  # noqa: S608 - fixed names
        f"WHERE case_id = ? AND {column} = ? ORDER BY seq",
        (case_id, participant_id),
    )
    return [_sent(tx, row) for row in rows]


@dataclass(frozen=True, slots=True)
class Received:
    """A delivered item as its recipient's side sees it."""

    item: Item
    content_note: str | None  # the practitioner's note on what the letter is about
    text: str | None  # the delivered text, once the recipient opened it


def _received(tx: Tx, row: Row) -> Received:
    item = Item.from_row(row)
    text = _optional(tx, item, row, "body") if item.recipient_state == "opened" else None
    return Received(item, _optional(tx, item, row, "content_note"), text)


_RECEIVED = f"SELECT {COLUMNS}, body, content_note FROM items"  # noqa: S608 - fixed names


def received(tx: Tx, case_id: str, principal_id: str) -> list[Received]:
    """What was delivered to the principal's side, in delivery order."""
    rows = tx.rows(
        f"{_RECEIVED} WHERE case_id = ? AND recipient_id = ? AND state = 'delivered' "
        "ORDER BY delivered_at, seq",
        (case_id, principal_id),
    )
    return [_received(tx, row) for row in rows]


def received_one(tx: Tx, item_id: str) -> Received:
    """One item as its recipient sees it (the caller has checked that it was delivered to
    them: `access.item_for_party`)."""
    row = tx.one(f"{_RECEIVED} WHERE id = ?", (item_id,))
    assert row is not None
    return _received(tx, row)


def set_preferences(tx: Tx, participant_id: str, read_receipts: bool, window_json: str) -> None:
    """A principal's read receipts and delivery window (`window_json`: 'null' for any time)."""
    tx.run(
        "UPDATE participants SET read_receipts = ?, window_json = ? WHERE id = ?",
        (int(read_receipts), window_json, participant_id),
    )
