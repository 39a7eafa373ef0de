"""Participants: the record (never the vault's contents), the vault, and their statements."""

from __future__ import annotations

from dataclasses import dataclass

from relay.storage import sealed
from relay.storage.tx import Row, Tx

PRINCIPALS = ("harmed", "responsible")


@dataclass(frozen=True, slots=True)
class Participant:
    id: str
    case_id: str
    role: str
    alias: str
    supports: str | None
    login: str | None
    activated_at: str | None
    consent: int | None  # NULL unanswered, 1 given, 0 refused
    consent_at: str | None
    supporter_read: int
    read_receipts: int
    window_json: str | None
    withdrawn_at: str | None
    created_at: str
    meet_consent: int | None
    meet_consent_at: str | None

    @property
    def principal_id(self) -> str:
        return self.supports or self.id

    @classmethod
    def from_row(cls, row: Row) -> Participant:
        return cls(*(row[name] for name in _NAMES))


_NAMES = tuple(Participant.__slots__)
COLUMNS = ", ".join(_NAMES)


def get(tx: Tx, participant_id: str) -> Participant | None:
    row = tx.one(
        f"SELECT {COLUMNS} FROM participants WHERE id = ?",  # noqa: S608
        (participant_id,),
    )
    return None if row is None else Participant.from_row(row)


def of_case(tx: Tx, case_id: str) -> list[Participant]:
    rows = tx.rows(
        f"SELECT {COLUMNS} FROM participants WHERE case_id = ? "  # noqa: S608
        "ORDER BY created_at, CASE role WHEN 'harmed' THEN 0 WHEN 'responsible' THEN 1 "
        "ELSE 2 END, id",
        (case_id,),
    )
    return [Participant.from_row(row) for row in rows]


def vault(tx: Tx, case_id: str, participant_id: str) -> dict[str, str]:
    """The participant's contact details, opened (empty if none were recorded)."""
    blob = tx.value("SELECT vault FROM participants WHERE id = ?", (participant_id,))
    if blob is None:
        return {}
    value = sealed.open_json(tx, case_id, "participants", participant_id, "vault", blob)
    assert isinstance(value, dict)
    return value


def vaults(tx: Tx, case_id: str) -> dict[str, dict[str, str]]:
    """Every participant's contact details in the case, by participant id."""
    rows = tx.rows("SELECT id, vault FROM participants WHERE case_id = ?", (case_id,))
    found: dict[str, dict[str, str]] = {}
    for row in rows:
        if row["vault"] is not None:
            value = sealed.open_json(tx, case_id, "participants", row["id"], "vault", row["vault"])
            assert isinstance(value, dict)
            found[row["id"]] = value
    return found


def permitted_supporters(tx: Tx, case_id: str, principal_id: str) -> list[str]:
    """Supporters of `principal_id` whom the principal allowed to read what they receive."""
    rows = tx.rows(
        "SELECT s.id FROM participants s JOIN participants p ON p.id = s.supports "
        "WHERE s.case_id = ? AND s.supports = ? AND s.role = 'supporter' "
        "AND p.supporter_read = 1 ORDER BY s.created_at",
        (case_id, principal_id),
    )
    return [row[0] for row in rows]


def window_json(tx: Tx, participant_id: str) -> str | None:
    value = tx.value("SELECT window_json FROM participants WHERE id = ?", (participant_id,))
    return None if value is None else str(value)


def insert(
    tx: Tx,
    *,
    participant_id: str,
    case_id: str,
    role: str,
    alias: str,
    supports: str | None,
    vault: dict[str, str],
    invite_hash: str,
    at: str,
) -> None:
    """A new participant, waiting for their invite code; the vault sealed here."""
    tx.run(
        "INSERT INTO participants (id, case_id, role, alias, supports, vault, invite_hash, "
        "created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        (
            participant_id,
            case_id,
            role,
            alias,
            supports,
            sealed.seal_json(tx, case_id, "participants", participant_id, "vault", vault),
            invite_hash,
            at,
        ),
    )


def contact(tx: Tx, case_id: str, participant_id: str) -> dict[str, object] | None:
    """The contact details of a participant of this case, opened; None for no such participant.

    Conflict once the case's key has been destroyed (even though the vault is gone by then).
    """
    row = tx.one(
        "SELECT vault FROM participants WHERE id = ? AND case_id = ?", (participant_id, case_id)
    )
    if row is None:
        return None
    tx.cipher(case_id)  # NotFound / Conflict before anything is opened
    if row["vault"] is None:
        return {}
    value = sealed.open_json(tx, case_id, "participants", participant_id, "vault", row["vault"])
    assert isinstance(value, dict)
    return value


def by_invite(tx: Tx, invite_hash: str) -> Participant | None:
    """The participant whose unspent invite code has this hash."""
    row = tx.one(
        f"SELECT {COLUMNS} FROM participants WHERE invite_hash = ?",  # noqa: S608
        (invite_hash,),
    )
    return None if row is None else Participant.from_row(row)


def activate(tx: Tx, participant_id: str, *, login: str, passphrase_hash: str, at: str) -> None:
    """Spend the invite code: the participant now signs in with `login` and a passphrase."""
    tx.run(
        "UPDATE participants SET invite_hash = NULL, login = ?, passphrase_hash = ?, "
        "activated_at = ? WHERE id = ?",
        (login, passphrase_hash, at, participant_id),
    )


def set_consent(tx: Tx, participant_id: str, given: bool, at: str) -> None:
    tx.run(
        "UPDATE participants SET consent = ?, consent_at = ? WHERE id = ?",
        (int(given), at, participant_id),
    )


def set_supporter_read(tx: Tx, principal_id: str, read: bool) -> None:
    tx.run("UPDATE participants SET supporter_read = ? WHERE id = ?", (int(read), principal_id))


def set_withdrawn(tx: Tx, participant_id: str, at: str) -> None:
    tx.run("UPDATE participants SET withdrawn_at = ? WHERE id = ?", (at, participant_id))
