"""Cases: the case record, its assignments, and the statements that change them."""

from __future__ import annotations

from dataclasses import dataclass

from relay.storage.tx import Row, Tx

TERMINAL = ("closed", "withdrawn")


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
