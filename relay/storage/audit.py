"""The audit chain's table: its end, appends, reads (the MACs are made in relay/audit/chain.py)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from relay.storage.tx import Tx


@dataclass(frozen=True, slots=True)
class StoredEvent:
    seq: int
    at: str
    actor: str
    action: str
    case_id: str | None
    subject: str | None
    details: str  # canonical JSON, as MAC'd
    prev_mac: str
    mac: str


_COLUMNS = "seq, at, actor, action, case_id, subject, details, prev_mac, mac"


_HEAD = ("audit", "head")


def head(tx: Tx) -> tuple[int, str] | None:
    """The newest event's (seq, MAC): the end of the chain that an append extends (read once
    per write transaction; writes are serialised, so only this transaction moves it)."""
    if tx.writable and _HEAD in tx.memo:
        return tx.memo[_HEAD]  # type: ignore[return-value]
    row = tx.one(
        "SELECT seq, mac FROM audit_events WHERE seq = (SELECT MAX(seq) FROM audit_events)"
    )
    return None if row is None else (int(row[0]), str(row[1]))


def mac_of(tx: Tx, seq: int) -> str | None:
    value = tx.value("SELECT mac FROM audit_events WHERE seq = ?", (seq,))
    return None if value is None else str(value)


def insert(tx: Tx, event: StoredEvent) -> None:
    tx.memo[_HEAD] = (event.seq, event.mac)
    tx.run(
        f"INSERT INTO audit_events ({_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",  # noqa: S608
        (
            event.seq,
            event.at,
            event.actor,
            event.action,
            event.case_id,
            event.subject,
            event.details,
            event.prev_mac,
            event.mac,
        ),
    )


def every(tx: Tx, batch: int = 5000) -> Iterator[StoredEvent]:
    """Every event in order, read in batches (the log can be long)."""
    after = 0
    while True:
        rows = tx.rows(
            f"SELECT {_COLUMNS} FROM audit_events WHERE seq > ? ORDER BY seq LIMIT ?",  # noqa: S608
            (after, batch),
        )
        if not rows:
            return
        for row in rows:
            yield StoredEvent(*(row[n] for n in range(9)))
        after = rows[-1][0]


def of(tx: Tx, *, case_id: str | None = None, subject: str | None = None) -> list[StoredEvent]:
    """The events of one case, or about one subject, in order."""
    if subject is not None:
        where, arg = "subject = ?", subject
    elif case_id is not None:
        where, arg = "case_id = ?", case_id
    else:
        raise ValueError("of() needs a case_id or a subject")
    rows = tx.rows(
        f"SELECT {_COLUMNS} FROM audit_events WHERE {where} ORDER BY seq",  # noqa: S608
        (arg,),
    )
    return [StoredEvent(*(row[n] for n in range(9))) for row in rows]
