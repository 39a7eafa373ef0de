"""Cases: the case record, its assignments, and the statements that change them."""

from __future__ import annotations

import json
from dataclasses import dataclass

from relay.domain.states import TERMINAL
from relay.storage import sealed
from relay.storage.tx import Row, Tx


@dataclass(frozen=True, slots=True)
class Case:
    id: str
    status: str
    modality: str
    risk_level: str
    admission_at: str | None
    withdrawn_by: str | None
    created_by: str
    created_at: str
    updated_at: str
    ended_at: str | None
    shredded_at: str | None
    outcomes: str | None  # JSON list, recorded at close

    @property
    def ended(self) -> bool:
        return self.status in TERMINAL

    @classmethod
    def from_row(cls, row: Row) -> Case:
        return cls(
            id=row["id"],
            status=row["status"],
            modality=row["modality"],
            risk_level=row["risk_level"],
            admission_at=row["admission_at"],
            withdrawn_by=row["withdrawn_by"],
            created_by=row["created_by"],
            created_at=row["created_at"],
            updated_at=row["updated_at"],
            ended_at=row["ended_at"],
            shredded_at=row["shredded_at"],
            outcomes=row["outcomes"],
        )


_COLUMNS = (
    "id, status, modality, risk_level, admission_at, withdrawn_by, created_by, created_at, "
    "updated_at, ended_at, shredded_at, outcomes"
)


def get(tx: Tx, case_id: str) -> Case | None:
    row = tx.one(f"SELECT {_COLUMNS} FROM cases WHERE id = ?", (case_id,))  # noqa: S608
    return None if row is None else Case.from_row(row)


def is_assigned(tx: Tx, case_id: str, practitioner_id: str) -> bool:
    return (
        tx.one(
            "SELECT 1 FROM case_assignments WHERE case_id = ? AND practitioner_id = ?",
            (case_id, practitioner_id),
        )
        is not None
    )


def insert(
    tx: Tx,
    *,
    case_id: str,
    status: str,
    modality: str,
    risk_level: str,
    data_key: bytes,
    created_by: str,
    at: str,
    crime_reference: str,
) -> None:
    """A new case in `status` (intake) under its wrapped data key; the crime reference sealed
    with it."""
    tx.run(
        "INSERT INTO cases (id, status, modality, risk_level, data_key, created_by, "
        "created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        (case_id, status, modality, risk_level, data_key, created_by, at, at),
    )
    # Sealed once the row is there: the cipher is unwrapped from the key just stored.
    tx.run(
        "UPDATE cases SET crime_reference = ? WHERE id = ?",
        (sealed.seal(tx, case_id, "cases", case_id, "crime_reference", crime_reference), case_id),
    )


def crime_reference(tx: Tx, case_id: str) -> str | None:
    """The case's crime reference, opened; None once its key has been destroyed."""
    row = tx.one("SELECT data_key, crime_reference FROM cases WHERE id = ?", (case_id,))
    if row is None or row["data_key"] is None:
        return None
    return sealed.open_optional(
        tx, case_id, "cases", case_id, "crime_reference", row["crime_reference"]
    )


def every(tx: Tx) -> list[Case]:
    """Every case, oldest first."""
    rows = tx.rows(f"SELECT {_COLUMNS} FROM cases ORDER BY created_at")  # noqa: S608
    return [Case.from_row(row) for row in rows]


def assigned_to(tx: Tx, practitioner_id: str) -> list[Case]:
    """The cases assigned to a practitioner, oldest first."""
    columns = ", ".join(f"c.{name.strip()}" for name in _COLUMNS.split(","))
    rows = tx.rows(
        f"SELECT {columns} FROM cases c "  # noqa: S608
        "JOIN case_assignments a ON a.case_id = c.id WHERE a.practitioner_id = ? "
        "ORDER BY c.created_at",
        (practitioner_id,),
    )
    return [Case.from_row(row) for row in rows]


def assign(tx: Tx, case_id: str, practitioner_id: str, at: str) -> None:
    """Assign a practitioner to the case (nothing changes if they already are)."""
    tx.run(
        "INSERT INTO case_assignments (case_id, practitioner_id, assigned_at) VALUES (?, ?, ?) "
        "ON CONFLICT (case_id, practitioner_id) DO NOTHING",
        (case_id, practitioner_id, at),
    )


def assigned_usernames(tx: Tx, case_id: str) -> list[str]:
    """The usernames of the practitioners assigned to the case, in alphabetical order."""
    rows = tx.rows(
        "SELECT p.username FROM case_assignments a JOIN practitioners p "
        "ON p.id = a.practitioner_id WHERE a.case_id = ? ORDER BY p.username",
        (case_id,),
    )
    return [str(row[0]) for row in rows]


def notification_counts(tx: Tx, case_id: str) -> dict[str, int]:
    """How many of the case's notifications are in each state (states with none are left out)."""
    rows = tx.rows(
        "SELECT state, COUNT(*) FROM notifications WHERE case_id = ? GROUP BY state",
        (case_id,),
    )
    return {str(row[0]): int(row[1]) for row in rows}


def set_status(tx: Tx, case_id: str, status: str, *, at: str, ended_at: str | None) -> None:
    """Move the case to `status`; `ended_at` (when given) records when it ended."""
    if ended_at is None:
        tx.run("UPDATE cases SET status = ?, updated_at = ? WHERE id = ?", (status, at, case_id))
    else:
        tx.run(
            "UPDATE cases SET status = ?, updated_at = ?, ended_at = ? WHERE id = ?",
            (status, at, ended_at, case_id),
        )


def record_outcomes(
    tx: Tx, case_id: str, outcomes: list[str] | None, agreement_terms: str | None
) -> None:
    """At close: the outcomes (a JSON list, or NULL for none) and the sealed agreement terms."""
    terms = None
    if agreement_terms is not None:
        terms = sealed.seal(tx, case_id, "cases", case_id, "agreement_terms", agreement_terms)
    tx.run(
        "UPDATE cases SET outcomes = ?, agreement_terms = ? WHERE id = ?",
        (None if outcomes is None else json.dumps(outcomes), terms, case_id),
    )


def record_admission(tx: Tx, case_id: str, notes: str, at: str) -> None:
    """The admission gate: when it was met, and the practitioner's sealed notes."""
    tx.run(
        "UPDATE cases SET admission_at = ?, admission_notes = ?, updated_at = ? WHERE id = ?",
        (at, sealed.seal(tx, case_id, "cases", case_id, "admission_notes", notes), at, case_id),
    )


def set_withdrawn_by(tx: Tx, case_id: str, participant_id: str) -> None:
    tx.run("UPDATE cases SET withdrawn_by = ? WHERE id = ?", (participant_id, case_id))
