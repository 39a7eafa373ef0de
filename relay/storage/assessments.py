"""Risk assessments of a case's principals: the record (notes sealed) and the gate they decide.

A principal's assessment gate is decided by their latest assessment. "Latest" is the greatest
`assessed_at`: an assessment recorded in the same microsecond as (or, the clock having stepped
back, before) the participant's previous one is stamped a microsecond after it, so the one
recorded last is always the latest without relying on an insertion order (SQLite's rowid has
no portable equivalent).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from relay.storage import sealed
from relay.storage.tx import Tx

_TICK = timedelta(microseconds=1)


@dataclass(frozen=True, slots=True)
class PrincipalStanding:
    """A principal of a case, with their consent and their latest assessment's outcome."""

    role: str  # 'harmed' | 'responsible'
    consent: int | None  # NULL unanswered, 1 given, 0 refused
    outcome: str | None  # 'safe' | 'unsafe'; None if never assessed


def _stamp_after(tx: Tx, participant_id: str, at: str) -> str:
    """`at`, or a microsecond after the participant's latest assessment if that is not earlier."""
    last = tx.value(
        "SELECT MAX(assessed_at) FROM assessments WHERE participant_id = ?", (participant_id,)
    )
    if last is None:
        return at
    after = datetime.fromisoformat(str(last)) + _TICK
    if datetime.fromisoformat(at) >= after:
        return at
    return after.isoformat(timespec="microseconds")


def insert(
    tx: Tx,
    *,
    assessment_id: str,
    case_id: str,
    participant_id: str,
    outcome: str,
    notes: str,
    assessed_by: str,
    at: str,
) -> None:
    """Record an assessment (its notes sealed here); it becomes the participant's latest."""
    tx.run(
        "INSERT INTO assessments (id, case_id, participant_id, outcome, notes, assessed_by, "
        "assessed_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
        (
            assessment_id,
            case_id,
            participant_id,
            outcome,
            sealed.seal(tx, case_id, "assessments", assessment_id, "notes", notes),
            assessed_by,
            _stamp_after(tx, participant_id, at),
        ),
    )


def standings(tx: Tx, case_id: str) -> list[PrincipalStanding]:
    """Each principal of the case with their consent and latest assessment outcome."""
    rows = tx.rows(
        "SELECT p.role, p.consent, (SELECT a.outcome FROM assessments a "
        "WHERE a.participant_id = p.id ORDER BY a.assessed_at DESC LIMIT 1) AS outcome "
        "FROM participants p "
        "WHERE p.case_id = ? AND p.role IN ('harmed', 'responsible')",
        (case_id,),
    )
    return [PrincipalStanding(row[0], row[1], row[2]) for row in rows]
