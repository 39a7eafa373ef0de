"""Participants: their vault of contact details, invite codes and activation."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass

from relay.domain.access import case_for, staff_only
from relay.domain.actors import Actor
from relay.domain.errors import Conflict, Invalid, NotFound, Unauthorized
from relay.domain.hub import Relay, new_id, stamp
from relay.storage import participants
from relay.storage.participants import Participant
from relay.storage.tx import Tx

VAULT_FIELDS = ("name", "email", "phone", "address")
_CODE_ALPHABET = "ABCDEFGHJKMNPQRSTVWXYZ23456789"  # no 0/O, 1/I/L: read aloud on the phone


def code_hash(code: str) -> str:
    """Invite codes are 80 random bits, so a plain SHA-256 is enough to store them."""
    normal = "".join(ch for ch in code.upper() if ch.isalnum())
    return hashlib.sha256(normal.encode()).hexdigest()


def new_invite_code() -> str:
    chars = "".join(secrets.choice(_CODE_ALPHABET) for _ in range(16))
    return "-".join(chars[i : i + 4] for i in range(0, 16, 4))


def new_login() -> str:
    return "rj-" + "".join(secrets.choice("abcdefghjkmnpqrstvwxyz23456789") for _ in range(8))


@dataclass(frozen=True, slots=True)
class NewParticipant:
    id: str
    role: str
    alias: str
    invite_code: str


async def add_participant(
    relay: Relay,
    actor: Actor,
    case_id: str,
    *,
    role: str,
    alias: str,
    vault: dict[str, str],
    supports: str | None,
) -> NewParticipant:
    staff = staff_only(actor)
    participant_id = new_id("par")
    code = new_invite_code()

    def work(tx: Tx) -> None:
        case = case_for(tx, staff, case_id)
        if case.ended:
            raise Conflict(f"The case is {case.status}; no one can join it now.")
        _check_newcomer(participants.of_case(tx, case_id), role, alias, supports)
        now = relay.now()
        participants.insert(
            tx,
            participant_id=participant_id,
            case_id=case_id,
            role=role,
            alias=alias,
            supports=supports,
            vault=vault,
            invite_hash=code_hash(code),
            at=stamp(now),
        )
        relay.audit.append(
            tx,
            at=now,
            actor=staff.label,
            action="participant.added",
            case_id=case_id,
            subject=participant_id,
            role=role,
        )

    await relay.store.write(work)
    return NewParticipant(participant_id, role, alias, code)


def _check_newcomer(
    existing: list[Participant], role: str, alias: str, supports: str | None
) -> None:
    """Refuse a participant the case cannot take: a taken alias or role, a stray supporter."""
    if any(person.alias.casefold() == alias.casefold() for person in existing):
        raise Conflict("Another participant of this case already has that alias.")
    if role == "supporter":
        principals = {person.id for person in existing if person.role != "supporter"}
        if supports not in principals:
            raise Invalid("A supporter must support a principal participant of this case.")
    else:
        if supports is not None:
            raise Invalid("Only a supporter supports someone.")
        if any(person.role == role for person in existing):
            raise Conflict(f"This case already has a {role} participant.")


def vault_values(tx: Tx, case_id: str) -> list[str]:
    """Every non-empty contact detail of every participant of the case (for scanning)."""
    return [
        str(value)
        for vault in participants.vaults(tx, case_id).values()
        for value in vault.values()
        if value
    ]


async def reveal_contact(
    relay: Relay, actor: Actor, case_id: str, participant_id: str
) -> dict[str, str]:
    """A practitioner reads a participant's contact details; every reveal is audited."""
    staff = staff_only(actor)

    def work(tx: Tx) -> dict[str, object]:
        case_for(tx, staff, case_id)
        vault = participants.contact(tx, case_id, participant_id)
        if vault is None:
            raise NotFound()
        relay.audit.append(
            tx,
            at=relay.now(),
            actor=staff.label,
            action="participant.contact_read",
            case_id=case_id,
            subject=participant_id,
        )
        return vault

    vault = await relay.store.write(work)
    return {key: str(vault.get(key, "")) for key in VAULT_FIELDS}


async def activate_invite(relay: Relay, code: str, passphrase: str) -> tuple[str, str]:
    """Spend an invite code: set the passphrase, return (participant id, login handle)."""
    digest = await relay.passwords.hash(passphrase)
    login = new_login()

    def work(tx: Tx) -> str:
        person = participants.by_invite(tx, code_hash(code))
        if person is None:
            raise Unauthorized("That invite code is not valid or has already been used.")
        now = relay.now()
        participants.activate(tx, person.id, login=login, passphrase_hash=digest, at=stamp(now))
        relay.audit.append(
            tx,
            at=now,
            actor=f"party:{person.id}",
            action="participant.activated",
            case_id=person.case_id,
            subject=person.id,
        )
        return person.id

    return await relay.store.write(work), login
