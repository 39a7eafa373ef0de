"""Sessions (only a token's hash is stored), participants' sign-in details, and the per-account
record of failed sign-ins (`login_attempts`)."""

from __future__ import annotations

from dataclasses import dataclass

from relay.storage.tx import Tx


@dataclass(frozen=True, slots=True)
class Found:
    """A session with whom it belongs to: the practitioner (active ones only) or participant."""

    kind: str  # 'staff' | 'party'
    subject_id: str
    csrf_token: str
    expires_at: str
    revoked_at: str | None
    username: str | None  # staff: None once the practitioner is gone or inactive
    staff_role: str | None
    case_id: str | None  # party: None once the participant is gone
    role: str | None
    supports: str | None


def find(tx: Tx, token_hash: str) -> Found | None:
    """The session with this token hash, in one read with its practitioner or participant."""
    row = tx.one(
        "SELECT s.kind, s.subject_id, s.csrf_token, s.expires_at, s.revoked_at, "
        "st.username, st.role AS staff_role, pa.case_id, pa.role, pa.supports FROM sessions s "
        "LEFT JOIN practitioners st ON s.kind = 'staff' AND st.id = s.subject_id "
        "AND st.active = 1 "
        "LEFT JOIN participants pa ON s.kind = 'party' AND pa.id = s.subject_id "
        "WHERE s.token_hash = ?",
        (token_hash,),
    )
    return None if row is None else Found(*(row[n] for n in range(10)))


def insert(
    tx: Tx, *, token_hash: str, kind: str, subject_id: str, csrf: str, at: str, expires: str
) -> None:
    tx.run(
        "INSERT INTO sessions (token_hash, kind, subject_id, csrf_token, created_at, expires_at, "
        "revoked_at) VALUES (?, ?, ?, ?, ?, ?, NULL)",
        (token_hash, kind, subject_id, csrf, at, expires),
    )


def revoke(tx: Tx, token_hash: str, at: str) -> None:
    """End one session (nothing changes if it had ended already)."""
    tx.run(
        "UPDATE sessions SET revoked_at = ? WHERE token_hash = ? AND revoked_at IS NULL",
        (at, token_hash),
    )


def revoke_all_of(tx: Tx, subject_id: str, at: str) -> None:
    """End every open session of a practitioner or participant."""
    tx.run(
        "UPDATE sessions SET revoked_at = ? WHERE subject_id = ? AND revoked_at IS NULL",
        (at, subject_id),
    )


def delete_of_case(tx: Tx, case_id: str) -> None:
    """Remove the sessions of every participant of a case (when its content is destroyed)."""
    tx.run(
        "DELETE FROM sessions WHERE subject_id IN (SELECT id FROM participants WHERE case_id = ?)",
        (case_id,),
    )


# -- participants' sign-in ----------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class PartyLogin:
    participant_id: str
    passphrase_hash: str | None


def party_login(tx: Tx, login: str) -> PartyLogin | None:
    """The participant who signs in with this login handle, with their passphrase's hash."""
    if tx.dialect == "postgresql" and "\x00" in login:
        return None  # PostgreSQL's text cannot hold NUL: no such handle is stored (nor asked for)
    row = tx.one("SELECT id, passphrase_hash FROM participants WHERE login = ?", (login,))
    return None if row is None else PartyLogin(str(row[0]), row[1])


# -- failed sign-ins ----------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Attempts:
    failures: int
    locked_until: str | None


NONE = Attempts(0, None)


def attempts(tx: Tx, key: str) -> Attempts:
    """Failed sign-ins counted against an account key (a hash of the name), and its lock."""
    row = tx.one("SELECT failures, locked_until FROM login_attempts WHERE key = ?", (key,))
    return NONE if row is None else Attempts(int(row[0]), row[1])


def record_failure(tx: Tx, key: str, *, failures: int, at: str, locked_until: str | None) -> None:
    tx.run(
        "INSERT INTO login_attempts (key, failures, last_failure_at, locked_until) "
        "VALUES (?, ?, ?, ?) ON CONFLICT (key) DO UPDATE SET failures = excluded.failures, "
        "last_failure_at = excluded.last_failure_at, locked_until = excluded.locked_until",
        (key, failures, at, locked_until),
    )


def clear_attempts(tx: Tx, key: str) -> None:
    tx.run("DELETE FROM login_attempts WHERE key = ?", (key,))
