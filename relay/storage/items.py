"""Items (letters and messages): the record, its sealed content, and the statements on them."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass

from relay.storage import sealed
from relay.storage.tx import Row, Tx


@dataclass(frozen=True, slots=True)
class Item:
    """An item's metadata; its sealed content is read with `content()`."""

    id: str
    seq: int
    case_id: str
    kind: str
    author_id: str
    author_role: str
    sender_id: str
    recipient_id: str
    entered_by: str | None
    state: str
    version: int
    recipient_state: str | None
    created_at: str
    waiting_since: str
    approved_at: str | None
    delivered_at: str | None
    opened_at: str | None
    declined_at: str | None
    help_requested_at: str | None
    claimed_by: str | None
    claimed_until: str | None
    updated_at: str

    @classmethod
    def from_row(cls, row: Row) -> Item:
        return cls(*(row[name] for name in _NAMES))


_NAMES = tuple(Item.__slots__)
COLUMNS = ", ".join(_NAMES)


@dataclass(frozen=True, slots=True)
class Content:
    """An item's sealed fields, opened."""

    original: str
    body: str
    findings: list[dict[str, object]]
    dismissed: dict[str, str]
    note: str | None
    content_note: str | None


def get(tx: Tx, item_id: str) -> Item | None:
    row = tx.one(f"SELECT {COLUMNS} FROM items WHERE id = ?", (item_id,))  # noqa: S608
    return None if row is None else Item.from_row(row)


def get_in_case(tx: Tx, item_id: str, case_id: str) -> Item | None:
    row = tx.one(
        f"SELECT {COLUMNS} FROM items WHERE id = ? AND case_id = ?",  # noqa: S608
        (item_id, case_id),
    )
    return None if row is None else Item.from_row(row)


def content(tx: Tx, item: Item) -> Content:
    row = tx.one(
        "SELECT original, body, findings, dismissed, note, content_note FROM items WHERE id = ?",
        (item.id,),
    )
    assert row is not None

    def text(field: str) -> str:
        return sealed.open_text(tx, item.case_id, "items", item.id, field, row[field])

    def optional(field: str) -> str | None:
        return sealed.open_optional(tx, item.case_id, "items", item.id, field, row[field])

    return Content(
        original=text("original"),
        body=text("body"),
        findings=sealed.open_json(tx, item.case_id, "items", item.id, "findings", row["findings"]),  # type: ignore[arg-type]
        dismissed=sealed.open_json(
            tx, item.case_id, "items", item.id, "dismissed", row["dismissed"]
        ),  # type: ignore[arg-type]
        note=optional("note"),
        content_note=optional("content_note"),
    )


_SEALED = sealed.SEALED["items"]


def _stored(tx: Tx, case_id: str, item_id: str, name: str, value: object) -> object:
    """A column's stored form: sealed columns are sealed (JSON for findings and dismissals)."""
    if name not in _SEALED or value is None:
        return value
    if not isinstance(value, str):
        return sealed.seal_json(tx, case_id, "items", item_id, name, value)
    return sealed.seal(tx, case_id, "items", item_id, name, value)


def insert(tx: Tx, values: dict[str, object]) -> int:
    """A new item (`values` by column, content in plain text); its sequence number."""
    seq = int(tx.value("SELECT COALESCE(MAX(seq), 0) + 1 FROM items"))
    case_id, item_id = str(values["case_id"]), str(values["id"])
    row = {"seq": seq, **values}
    names = list(row)
    tx.run(
        f"INSERT INTO items ({', '.join(names)}) "  # noqa: S608 - names are our own
        f"VALUES ({', '.join('?' for _ in names)})",
        [_stored(tx, case_id, item_id, n, row[n]) for n in names],
    )
    return seq


def update(tx: Tx, item: Item, changes: dict[str, object]) -> None:
    """Set columns of one item (content in plain text: sealed here)."""
    names = list(changes)
    tx.run(
        f"UPDATE items SET {', '.join(f'{n} = ?' for n in names)} WHERE id = ?",  # noqa: S608
        [*(_stored(tx, item.case_id, item.id, n, changes[n]) for n in names), item.id],
    )


def other_principal(tx: Tx, case_id: str, principal_id: str) -> str | None:
    """The principal on the other side of the case from `principal_id`, if there is one yet."""
    value = tx.value(
        "SELECT id FROM participants WHERE case_id = ? AND role IN ('harmed', 'responsible') "
        "AND id != ?",
        (case_id, principal_id),
    )
    return None if value is None else str(value)


def approved_awaiting_release(tx: Tx, case_id: str) -> list[tuple[Item, str | None]]:
    """The case's approved items (oldest approval first) with their recipient's window JSON,
    when the case is active."""
    rows = tx.rows(
        f"SELECT {', '.join('i.' + n for n in _NAMES)}, p.window_json FROM items i "  # noqa: S608
        "JOIN participants p ON p.id = i.recipient_id JOIN cases c ON c.id = i.case_id "
        "WHERE i.case_id = ? AND i.state = 'approved' AND c.status = 'active' "
        "ORDER BY i.approved_at, i.seq",
        (case_id,),
    )
    return [(Item.from_row(row), row["window_json"]) for row in rows]


def cases_with_approved(tx: Tx) -> list[str]:
    """Active cases holding approved items (a window may have opened for them)."""
    rows = tx.rows(
        "SELECT DISTINCT i.case_id FROM items i JOIN cases c ON c.id = i.case_id "
        "WHERE i.state = 'approved' AND c.status = 'active'"
    )
    return [row[0] for row in rows]


def in_states(tx: Tx, case_id: str, states: Collection[str]) -> list[Item]:
    """The case's items in any of `states`, in the order they were written."""
    states = sorted(states)
    marks = ", ".join("?" for _ in states)
    rows = tx.rows(
        f"SELECT {COLUMNS} FROM items WHERE case_id = ? AND state IN ({marks}) "  # noqa: S608
        "ORDER BY seq",
        (case_id, *states),
    )
    return [Item.from_row(row) for row in rows]
