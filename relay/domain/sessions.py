"""Sign-in for practitioners and participants, sessions, and login throttling."""

from __future__ import annotations

import asyncio
import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from relay.domain.access import specialist_only
from relay.domain.actors import Actor, Party, Staff
from relay.domain.errors import Conflict, TooManyAttempts, Unauthorized
from relay.domain.hub import Relay, new_id, stamp
from relay.domain.participants import activate_invite
from relay.storage import Connection, fetch_all


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


@dataclass(frozen=True, slots=True)
class Session:
    token: str  # shown once to the client; only its hash is stored
    csrf_token: str
    role: str
    actor: Actor


async def _open_session(
    relay: Relay, conn: Connection, kind: str, subject_id: str
) -> tuple[str, str]:
    token = secrets.token_urlsafe(32)
    csrf = secrets.token_urlsafe(32)
    now = relay.now()
    expires = now + timedelta(seconds=relay.config.session_ttl_seconds)
    await conn.execute(
        "INSERT INTO sessions VALUES (?, ?, ?, ?, ?, ?, NULL)",
        (token_hash(token), kind, subject_id, csrf, stamp(now), stamp(expires)),
    )
    return token, csrf


class _Throttle:
    """Failures per account: slowed after a few, locked (429) after more.

    Guesses sent in parallel all pass `check()` before any of them is counted, so failures are
    counted inside the write transaction, and a right password is let in only if the account
    is not locked at the moment its session is written.
    """

    def __init__(self, relay: Relay, kind: str, name: str) -> None:
        self.relay = relay
        self.key = hashlib.sha256(f"{kind}:{name.casefold()}".encode()).hexdigest()

    def _still_locked(self, locked_until: str | None) -> None:
        if locked_until is None:
            return
        until, now = datetime.fromisoformat(locked_until), self.relay.now()
        if until > now:
            raise TooManyAttempts(
                "Too many failed sign-ins. Wait a while, then try again.",
                retry_after=int((until - now).total_seconds()) + 1,
            )

    async def _row(self, conn: Connection) -> tuple[int, str | None]:
        rows = await fetch_all(
            conn, "SELECT failures, locked_until FROM login_attempts WHERE key = ?", (self.key,)
        )
        return (int(rows[0][0]), rows[0][1]) if rows else (0, None)

    async def check(self) -> None:
        """429 at once while locked, before spending a password hash on the attempt."""
        _, locked_until = await self._row(self.relay.db.reader)
        self._still_locked(locked_until)

    async def failed(self) -> None:
        config = self.relay.config
        now = self.relay.now()
        async with self.relay.db.write() as conn:
            failures, locked_until = await self._row(conn)
            self._still_locked(locked_until)  # locked meanwhile: answer like every locked try
            failures = (0 if locked_until is not None else failures) + 1  # a lapsed lock resets
            locked = None
            if failures >= config.login_lock_after:
                locked = stamp(now + timedelta(seconds=config.login_lock_seconds))
            await conn.execute(
                "INSERT INTO login_attempts VALUES (?, ?, ?, ?) ON CONFLICT(key) DO UPDATE SET "
                "failures = excluded.failures, last_failure_at = excluded.last_failure_at, "
                "locked_until = excluded.locked_until",
                (self.key, 0 if locked else failures, stamp(now), locked),
            )
        if failures >= config.login_slow_after and config.login_delay_seconds > 0:
            await asyncio.sleep(config.login_delay_seconds)

    async def succeeded(self, conn: Connection) -> None:
        """Inside the login's write transaction: refuse (429) if locked since `check()`."""
        _, locked_until = await self._row(conn)
        self._still_locked(locked_until)
        await conn.execute("DELETE FROM login_attempts WHERE key = ?", (self.key,))


async def staff_login(relay: Relay, username: str, password: str) -> Session:
    throttle = _Throttle(relay, "staff", username)
    await throttle.check()
    rows = await fetch_all(
        relay.db.reader,
        "SELECT id, role, password_hash FROM practitioners WHERE username = ? AND active = 1",
        (username,),
    )
    stored = rows[0]["password_hash"] if rows else None
    if not await relay.passwords.verify(stored, password):
        await throttle.failed()
        raise Unauthorized("The username or password is not right.")
    staff_id, role = rows[0]["id"], rows[0]["role"]
    async with relay.db.write() as conn:
        await throttle.succeeded(conn)
        token, csrf = await _open_session(relay, conn, "staff", staff_id)
        await relay.audit.append(
            conn,
            at=relay.now(),
            actor=f"staff:{username}",
            action="session.login",
            subject=staff_id,
        )
    return Session(token, csrf, role, Staff(staff_id, username, role, token_hash(token)))


async def party_login(relay: Relay, login: str, passphrase: str) -> Session:
    throttle = _Throttle(relay, "party", login)
    await throttle.check()
    rows = await fetch_all(
        relay.db.reader,
        "SELECT id, case_id, role, supports, passphrase_hash FROM participants WHERE login = ?",
        (login,),
    )
    stored = rows[0]["passphrase_hash"] if rows else None
    if not await relay.passwords.verify(stored, passphrase):
        await throttle.failed()
        raise Unauthorized("The login or passphrase is not right.")
    return await _party_session(relay, rows[0]["id"], throttle)


async def _party_session(relay: Relay, participant_id: str, throttle: _Throttle | None) -> Session:
    rows = await fetch_all(
        relay.db.reader,
        "SELECT case_id, role, supports FROM participants WHERE id = ?",
        (participant_id,),
    )
    case_id, role, supports = rows[0]
    async with relay.db.write() as conn:
        if throttle is not None:
            await throttle.succeeded(conn)
        token, csrf = await _open_session(relay, conn, "party", participant_id)
        await relay.audit.append(
            conn,
            at=relay.now(),
            actor=f"party:{participant_id}",
            action="session.login",
            case_id=case_id,
            subject=participant_id,
        )
    party = Party(participant_id, case_id, role, supports, token_hash(token))
    return Session(token, csrf, role, party)


async def party_activate(relay: Relay, code: str, passphrase: str) -> tuple[Session, str]:
    participant_id, login = await activate_invite(relay, code, passphrase)
    return await _party_session(relay, participant_id, None), login


async def authenticate(relay: Relay, token: str) -> tuple[Actor, str]:
    """The actor behind a session token, and the session's CSRF token; 401 if not valid."""
    if not token.isascii():  # ours are URL-safe base64; other bytes could not even be hashed
        raise Unauthorized("Please sign in.")
    digest = token_hash(token)
    # One read: the session with its practitioner (active ones only) or its participant.
    rows = await fetch_all(
        relay.db.reader,
        "SELECT s.kind, s.subject_id, s.csrf_token, s.expires_at, s.revoked_at, "
        "st.username, st.role, pa.case_id, pa.role, pa.supports FROM sessions s "
        "LEFT JOIN practitioners st ON s.kind = 'staff' AND st.id = s.subject_id "
        "AND st.active = 1 "
        "LEFT JOIN participants pa ON s.kind = 'party' AND pa.id = s.subject_id "
        "WHERE s.token_hash = ?",
        (digest,),
    )
    if not rows or rows[0]["revoked_at"] is not None:
        raise Unauthorized("Please sign in.")
    kind, subject, csrf, expires, _revoked, username, staff_role, case_id, role, supports = rows[0]
    if datetime.fromisoformat(expires) <= relay.now():
        raise Unauthorized("Your session has expired. Please sign in again.")
    if kind == "staff":
        if username is None:
            raise Unauthorized("Please sign in.")
        return Staff(subject, username, staff_role, digest), csrf
    if case_id is None:
        raise Unauthorized("Please sign in.")
    return Party(subject, case_id, role, supports, digest), csrf


async def logout(relay: Relay, actor: Actor) -> None:
    async with relay.db.write() as conn:
        await conn.execute(
            "UPDATE sessions SET revoked_at = ? WHERE token_hash = ? AND revoked_at IS NULL",
            (stamp(relay.now()), actor.session),
        )
        await relay.audit.append(
            conn,
            at=relay.now(),
            actor=actor.label,
            action="session.logout",
            subject=actor.id,
            case_id=actor.case_id if isinstance(actor, Party) else None,
        )


async def add_practitioner(
    relay: Relay,
    actor: Actor | None,
    *,
    username: str,
    password: str,
    role: str,
    display_name: str,
) -> str:
    """Create a practitioner; `actor` None is the CLI (init / practitioner add)."""
    label = "cli" if actor is None else specialist_only(actor).label
    digest = await relay.passwords.hash(password)
    practitioner_id = new_id("prc")
    async with relay.db.write() as conn:
        taken = await fetch_all(conn, "SELECT 1 FROM practitioners WHERE username = ?", (username,))
        if taken:
            raise Conflict(f"The username {username!r} is taken.")
        now = stamp(relay.now())
        await conn.execute(
            "INSERT INTO practitioners VALUES (?, ?, ?, ?, ?, ?, 1, ?)",
            (practitioner_id, username, display_name, role, digest, now, now),
        )
        await relay.audit.append(
            conn,
            at=relay.now(),
            actor=label,
            action="practitioner.added",
            subject=practitioner_id,
            role=role,
        )
    return practitioner_id


async def change_password(relay: Relay, actor: Actor, old: str, new: str) -> None:
    """A practitioner changes their password; every one of their sessions ends."""
    if not isinstance(actor, Staff):
        raise Unauthorized("Please sign in.")
    rows = await fetch_all(
        relay.db.reader, "SELECT password_hash FROM practitioners WHERE id = ?", (actor.id,)
    )
    if not rows or not await relay.passwords.verify(rows[0][0], old):
        raise Unauthorized("The current password is not right.")
    digest = await relay.passwords.hash(new)
    async with relay.db.write() as conn:
        now = stamp(relay.now())
        await conn.execute(
            "UPDATE practitioners SET password_hash = ?, password_changed_at = ? WHERE id = ?",
            (digest, now, actor.id),
        )
        await conn.execute(
            "UPDATE sessions SET revoked_at = ? WHERE subject_id = ? AND revoked_at IS NULL",
            (now, actor.id),
        )
        await relay.audit.append(
            conn,
            at=relay.now(),
            actor=actor.label,
            action="practitioner.password_changed",
            subject=actor.id,
        )
