"""Practitioners: the staff accounts, and the statements that read and change them."""

from __future__ import annotations

from dataclasses import dataclass

from relay.storage.tx import Tx


def active_id(tx: Tx, username: str) -> str | None:
    """The id of the active practitioner with this username, if there is one."""
    value = tx.value("SELECT id FROM practitioners WHERE username = ? AND active = 1", (username,))
    return None if value is None else str(value)


# -- accounts and sign-in -----------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class StaffLogin:
    """What signing in as an active practitioner needs: who, their role, their password hash."""

    id: str
    role: str
    password_hash: str


def staff_login(tx: Tx, username: str) -> StaffLogin | None:
    """The active practitioner with this username, with their password's hash."""
    if tx.dialect == "postgresql" and "\x00" in username:
        return None  # PostgreSQL's text cannot hold NUL: no such name is stored (nor asked for)
    row = tx.one(
        "SELECT id, role, password_hash FROM practitioners WHERE username = ? AND active = 1",
        (username,),
    )
    return None if row is None else StaffLogin(str(row[0]), str(row[1]), str(row[2]))


def password_hash(tx: Tx, practitioner_id: str) -> str | None:
    value = tx.value("SELECT password_hash FROM practitioners WHERE id = ?", (practitioner_id,))
    return None if value is None else str(value)


def username_taken(tx: Tx, username: str) -> bool:
    """Whether any practitioner, active or not, has this username."""
    return tx.one("SELECT 1 FROM practitioners WHERE username = ?", (username,)) is not None


def insert(
    tx: Tx,
    *,
    practitioner_id: str,
    username: str,
    display_name: str,
    role: str,
    password_hash: str,
    at: str,
) -> None:
    """A new, active practitioner."""
    tx.run(
        "INSERT INTO practitioners (id, username, display_name, role, password_hash, "
        "password_changed_at, active, created_at) VALUES (?, ?, ?, ?, ?, ?, 1, ?)",
        (practitioner_id, username, display_name, role, password_hash, at, at),
    )


def set_password(tx: Tx, practitioner_id: str, password_hash: str, at: str) -> None:
    tx.run(
        "UPDATE practitioners SET password_hash = ?, password_changed_at = ? WHERE id = ?",
        (password_hash, at, practitioner_id),
    )
