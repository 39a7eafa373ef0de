"""Sign-in for practitioners and participants, sessions, and login throttling.

A password hash costs tens of milliseconds, so it is never checked inside a transaction: the
stored hash is read, checked, and only then is the session written, in a transaction that
makes sure the hash it was checked against is still the one stored.
"""

from __future__ import annotations

import asyncio
import hashlib
import secrets
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from relay.domain.access import specialist_only
from relay.domain.actors import Actor, Party, Staff
from relay.domain.errors import Conflict, TooManyAttempts, Unauthorized
from relay.domain.hub import Relay, new_id, stamp
from relay.domain.participants import activate_invite
from relay.storage import participants, practitioners
from relay.storage import sessions as stored
from relay.storage.tx import Tx

STAFF_REFUSED = "The username or password is not right."
PARTY_REFUSED = "The login or passphrase is not right."


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


@dataclass(frozen=True, slots=True)
class Session:
    token: str  # shown once to the client; only its hash is stored
    csrf_token: str
    role: str
    actor: Actor


def _open_session(relay: Relay, tx: Tx, kind: str, subject_id: str) -> tuple[str, str]:
    token = secrets.token_urlsafe(32)
    csrf = secrets.token_urlsafe(32)
    now = relay.now()
    expires = now + timedelta(seconds=relay.config.session_ttl_seconds)
    stored.insert(
        tx,
        token_hash=token_hash(token),
        kind=kind,
        subject_id=subject_id,
        csrf=csrf,
        at=stamp(now),
        expires=stamp(expires),
    )
    return token, csrf


class _Throttle:
    """Failures per account: slowed after a few, locked (429) after more.

    Guesses sent in parallel all pass `check()` before any of them is counted, so each failure
    is counted in a write that reads the count afresh (writes are serialised, so none is lost),
    and a right password is let in only if the account is not locked at the moment its session
    is written.
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

    async def check(self) -> None:
        """429 at once while locked, before spending a password hash on the attempt."""
        attempts = await self.relay.store.read(lambda tx: stored.attempts(tx, self.key))
        self._still_locked(attempts.locked_until)

    def _count(self, tx: Tx) -> int:
        config = self.relay.config
        now = self.relay.now()
        attempts = stored.attempts(tx, self.key)
        self._still_locked(attempts.locked_until)  # locked meanwhile: answer like every locked try
        # A lapsed lock starts the count again.
        failures = (0 if attempts.locked_until is not None else attempts.failures) + 1
        locked = None
        if failures >= config.login_lock_after:
            locked = stamp(now + timedelta(seconds=config.login_lock_seconds))
        stored.record_failure(
            tx, self.key, failures=0 if locked else failures, at=stamp(now), locked_until=locked
        )
        return failures

    async def failed(self) -> None:
        failures = await self.relay.store.write(self._count)
        config = self.relay.config
        if failures >= config.login_slow_after and config.login_delay_seconds > 0:
            await asyncio.sleep(config.login_delay_seconds)

    def succeeded(self, tx: Tx) -> None:
        """Inside the login's write transaction: refuse (429) if locked since `check()`."""
        self._still_locked(stored.attempts(tx, self.key).locked_until)
        stored.clear_attempts(tx, self.key)


async def staff_login(relay: Relay, username: str, password: str) -> Session:
    throttle = _Throttle(relay, "staff", username)
    await throttle.check()
    login = await relay.store.read(lambda tx: practitioners.staff_login(tx, username))
    # An unknown name is checked against a dummy hash: it takes as long as a real check.
    right = await relay.passwords.verify(login.password_hash if login else None, password)
    if login is None or not right:
        await throttle.failed()
        raise Unauthorized(STAFF_REFUSED)

    def work(tx: Tx) -> tuple[str, str]:
        if practitioners.staff_login(tx, username) != login:  # changed since the check
            raise Unauthorized(STAFF_REFUSED)
        throttle.succeeded(tx)
        token, csrf = _open_session(relay, tx, "staff", login.id)
        relay.audit.append(
            tx, at=relay.now(), actor=f"staff:{username}", action="session.login", subject=login.id
        )
        return token, csrf

    token, csrf = await relay.store.write(work)
    return Session(
        token, csrf, login.role, Staff(login.id, username, login.role, token_hash(token))
    )


async def party_login(relay: Relay, login: str, passphrase: str) -> Session:
    throttle = _Throttle(relay, "party", login)
    await throttle.check()
    found = await relay.store.read(lambda tx: stored.party_login(tx, login))
    right = await relay.passwords.verify(found.passphrase_hash if found else None, passphrase)
    if found is None or not right:
        await throttle.failed()
        raise Unauthorized(PARTY_REFUSED)

    def unchanged(tx: Tx) -> None:
        if stored.party_login(tx, login) != found:  # changed since the check
            raise Unauthorized(PARTY_REFUSED)
        throttle.succeeded(tx)

    return await _party_session(relay, found.participant_id, unchanged)


async def _party_session(
    relay: Relay, participant_id: str, before: Callable[[Tx], None] | None
) -> Session:
    def work(tx: Tx) -> tuple[str, str, Party]:
        if before is not None:
            before(tx)
        person = participants.get(tx, participant_id)
        assert person is not None
        token, csrf = _open_session(relay, tx, "party", participant_id)
        relay.audit.append(
            tx,
            at=relay.now(),
            actor=f"party:{participant_id}",
            action="session.login",
            case_id=person.case_id,
            subject=participant_id,
        )
        party = Party(participant_id, person.case_id, person.role, person.supports)
        return token, csrf, party

    token, csrf, party = await relay.store.write(work)
    return Session(token, csrf, party.role, replace(party, session=token_hash(token)))


async def party_activate(relay: Relay, code: str, passphrase: str) -> tuple[Session, str]:
    participant_id, login = await activate_invite(relay, code, passphrase)
    return await _party_session(relay, participant_id, None), login


async def authenticate(relay: Relay, token: str) -> tuple[Actor, str]:
    """The actor behind a session token, and the session's CSRF token; 401 if not valid."""
    if not token.isascii():  # ours are URL-safe base64; other bytes could not even be hashed
        raise Unauthorized("Please sign in.")
    digest = token_hash(token)
    # One read: the session with its practitioner (active ones only) or its participant.
    found = await relay.store.read(lambda tx: stored.find(tx, digest), snapshot=False)
    if found is None or found.revoked_at is not None:
        raise Unauthorized("Please sign in.")
    if datetime.fromisoformat(found.expires_at) <= relay.now():
        raise Unauthorized("Your session has expired. Please sign in again.")
    if found.kind == "staff":
        if found.username is None or found.staff_role is None:
            raise Unauthorized("Please sign in.")
        return Staff(found.subject_id, found.username, found.staff_role, digest), found.csrf_token
    if found.case_id is None or found.role is None:
        raise Unauthorized("Please sign in.")
    party = Party(found.subject_id, found.case_id, found.role, found.supports, digest)
    return party, found.csrf_token


async def logout(relay: Relay, actor: Actor) -> None:
    def work(tx: Tx) -> None:
        stored.revoke(tx, actor.session, stamp(relay.now()))
        relay.audit.append(
            tx,
            at=relay.now(),
            actor=actor.label,
            action="session.logout",
            subject=actor.id,
            case_id=actor.case_id if isinstance(actor, Party) else None,
        )

    await relay.store.write(work)


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

    def work(tx: Tx) -> None:
        if practitioners.username_taken(tx, username):
            raise Conflict(f"The username {username!r} is taken.")
        practitioners.insert(
            tx,
            practitioner_id=practitioner_id,
            username=username,
            display_name=display_name,
            role=role,
            password_hash=digest,
            at=stamp(relay.now()),
        )
        relay.audit.append(
            tx,
            at=relay.now(),
            actor=label,
            action="practitioner.added",
            subject=practitioner_id,
            role=role,
        )

    await relay.store.write(work)
    return practitioner_id


async def change_password(relay: Relay, actor: Actor, old: str, new: str) -> None:
    """A practitioner changes their password; every one of their sessions ends."""
    if not isinstance(actor, Staff):
        raise Unauthorized("Please sign in.")
    current = await relay.store.read(lambda tx: practitioners.password_hash(tx, actor.id))
    if current is None or not await relay.passwords.verify(current, old):
        raise Unauthorized("The current password is not right.")
    digest = await relay.passwords.hash(new)

    def work(tx: Tx) -> None:
        if practitioners.password_hash(tx, actor.id) != current:  # changed meanwhile
            raise Unauthorized("The current password is not right.")
        now = stamp(relay.now())
        practitioners.set_password(tx, actor.id, digest, now)
        stored.revoke_all_of(tx, actor.id, now)
        relay.audit.append(
            tx,
            at=relay.now(),
            actor=actor.label,
            action="practitioner.password_changed",
            subject=actor.id,
        )

    await relay.store.write(work)
