"""The practitioners' reads: the queue of items, and the dashboard's lists (no party's view).

Every paged read here must stay O(page), not O(store), at a million items
(tests/storage/test_query_plans.py, bench/README.md). On SQLite that takes hints the planner
would not find alone without statistics: the awaiting queue names the partial index
`items_awaiting` and walks it in page order, and a unary `+` on `case_id` stops SQLite from
choosing `items_by_case` (every item the case ever had, then a sort) instead. PostgreSQL spells
neither, so those fragments depend on `tx.dialect`; so does the one way each has of taking a
list of case ids as one parameter (a JSON array).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass

from relay.domain.states import AWAITING_DECISION, ItemState
from relay.storage import sealed
from relay.storage.items import COLUMNS, Item
from relay.storage.tx import Row, Tx

# The states in which an item awaits a decision, spelt as literals in declaration order where
# a query should use the partial index items_awaiting: SQLite uses it only for the very WHERE
# it was declared with, `state IN ('pending', 'countersign')`.
_AWAITING = tuple(state for state in ItemState if state in AWAITING_DECISION)
_AWAITING_STATES = "state IN ({})".format(", ".join(f"'{state}'" for state in _AWAITING))


def _plain(tx: Tx, column: str) -> str:
    """`column`, kept from choosing an index on SQLite (unary `+`)."""
    return f"+{column}" if tx.dialect == "sqlite" else column


def _awaiting_index(tx: Tx) -> str:
    """SQLite: walk items_awaiting (without statistics it prefers items_by_state, then sorts)."""
    return " INDEXED BY items_awaiting" if tx.dialect == "sqlite" else ""


def _id_set(tx: Tx) -> str:
    """A subquery of the ids in one JSON-array parameter (see `_ids`)."""
    if tx.dialect == "sqlite":
        return "(SELECT value FROM json_each(?))"
    return "(SELECT value FROM json_array_elements_text(CAST(? AS json)))"


def _ids(ids: Sequence[str]) -> str:
    return json.dumps(list(ids))


# -- the queue ------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class Queued:
    """An item in the practitioner's queue, with the text and findings they decide on."""

    item: Item
    body: str
    findings: list[dict[str, object]]


def _queued(tx: Tx, row: Row) -> Queued:
    item = Item.from_row(row)
    body = sealed.open_text(tx, item.case_id, "items", item.id, "body", row["body"])
    findings = sealed.open_json(tx, item.case_id, "items", item.id, "findings", row["findings"])
    assert isinstance(findings, list)
    return Queued(item, body, findings)


def page(
    tx: Tx, *, state: str | None, case_id: str | None, assigned_to: str | None, limit: int
) -> list[Queued]:
    """Items awaiting a decision (`state` None) or in `state`, oldest first; only of `case_id`
    if given, only of cases assigned to `assigned_to` if given (a volunteer)."""
    where = [_AWAITING_STATES if state is None else "state = ?"]
    args: list[object] = [] if state is None else [state]
    # The default queue walks items_awaiting in page order and filters by case on the way
    # (a volunteer's first page took 0.5 s at 1M stored items, 0.5 ms this way); a single
    # state walks items_by_state, which serves it in page order, and may use the case index.
    case_column = _plain(tx, "case_id") if state is None else "case_id"
    table = "items" + (_awaiting_index(tx) if state is None else "")
    if case_id is not None:
        where.append(f"{case_column} = ?")
        args.append(case_id)
    if assigned_to is not None:
        assigned = "IN (SELECT case_id FROM case_assignments WHERE practitioner_id = ?)"
        where.append(f"{case_column} {assigned}")
        args.append(assigned_to)
    rows = tx.rows(
        f"SELECT {COLUMNS}, body, findings FROM {table} "  # noqa: S608 - fixed fragments
        f"WHERE {' AND '.join(where)} ORDER BY waiting_since, seq LIMIT ?",
        (*args, limit),
    )
    return [_queued(tx, row) for row in rows]


# -- the dashboard ----------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class AwaitingLine:
    """An item awaiting a decision, as the dashboard lists it (no content)."""

    id: str
    case_id: str
    kind: str
    state: str
    version: int
    author_role: str
    waiting_since: str
    claimed_by: str | None  # the claim holder's display name (the claim may have expired)
    claimed_until: str | None


def awaiting(tx: Tx, case_ids: Sequence[str], limit: int) -> list[AwaitingLine]:
    """The oldest items awaiting a decision in `case_ids`, oldest first."""
    # As `page`: walk items_awaiting in page order instead of sorting every awaiting item.
    where = f"i.{_AWAITING_STATES} AND {_plain(tx, 'i.case_id')} IN {_id_set(tx)}"
    rows = tx.rows(
        "SELECT i.id, i.case_id, i.kind, i.state, i.version, i.author_role, i.waiting_since, "  # noqa: S608 - fixed fragments
        f"p.display_name, i.claimed_until FROM items i{_awaiting_index(tx)} "
        f"LEFT JOIN practitioners p ON p.id = i.claimed_by WHERE {where} "
        "ORDER BY i.waiting_since, i.seq LIMIT ?",
        (_ids(case_ids), limit),
    )
    return [AwaitingLine(*(row[n] for n in range(9))) for row in rows]


def awaiting_counts(tx: Tx, case_ids: Sequence[str]) -> dict[str, int]:
    """How many items await a decision, by case (cases with none are left out)."""
    rows = tx.rows(
        "SELECT case_id, COUNT(*) FROM items "  # noqa: S608
        f"WHERE state IN ({', '.join('?' for _ in _AWAITING)}) "
        f"AND case_id IN {_id_set(tx)} GROUP BY case_id",
        (*_AWAITING, _ids(case_ids)),
    )
    return {row[0]: int(row[1]) for row in rows}


def aliases(tx: Tx, case_ids: Sequence[str]) -> dict[str, list[str]]:
    """The participants' aliases (never their contact details), by case, oldest first."""
    rows = tx.rows(
        f"SELECT case_id, alias FROM participants WHERE case_id IN {_id_set(tx)} "  # noqa: S608
        "ORDER BY created_at, id",
        (_ids(case_ids),),
    )
    names: dict[str, list[str]] = {}
    for row in rows:
        names.setdefault(row[0], []).append(row[1])
    return names


@dataclass(frozen=True, slots=True)
class HelpRequest:
    id: str
    case_id: str
    requested_at: str


def help_requests(tx: Tx, case_ids: Sequence[str], limit: int) -> list[HelpRequest]:
    """Items whose recipient asked a practitioner for help, newest request first."""
    # +case_id: walk items_help newest first rather than every item of each case.
    where = f"help_requested_at IS NOT NULL AND {_plain(tx, 'case_id')} IN {_id_set(tx)}"
    rows = tx.rows(
        f"SELECT id, case_id, help_requested_at FROM items WHERE {where} "  # noqa: S608
        "ORDER BY help_requested_at DESC LIMIT ?",
        (_ids(case_ids), limit),
    )
    return [HelpRequest(row[0], row[1], row[2]) for row in rows]


@dataclass(frozen=True, slots=True)
class Practitioner:
    id: str
    username: str
    display_name: str
    role: str


def practitioners(tx: Tx) -> list[Practitioner]:
    """The hub's active practitioners, by name."""
    rows = tx.rows(
        "SELECT id, username, display_name, role FROM practitioners WHERE active = 1 "
        "ORDER BY display_name, username"
    )
    return [Practitioner(row[0], row[1], row[2], row[3]) for row in rows]


@dataclass(frozen=True, slots=True)
class CaseItem:
    """An item of a case, as its practitioners list it (no content)."""

    id: str
    kind: str
    state: str
    version: int
    author_id: str
    author_role: str
    recipient_id: str
    recipient_state: str | None
    created_at: str
    waiting_since: str
    help_requested_at: str | None


def case_items(tx: Tx, case_id: str) -> list[CaseItem]:
    """Every item of the case, in writing order."""
    rows = tx.rows(
        "SELECT id, kind, state, version, author_id, author_role, recipient_id, recipient_state, "
        "created_at, waiting_since, help_requested_at FROM items WHERE case_id = ? ORDER BY seq",
        (case_id,),
    )
    return [CaseItem(*(row[n] for n in range(11))) for row in rows]
