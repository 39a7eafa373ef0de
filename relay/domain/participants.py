"""Participants: their vault of contact details, invite codes and activation."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass

from relay.domain.access import TERMINAL, case_row, staff_only
from relay.domain.actors import Actor
from relay.domain.errors import Conflict, Invalid, NotFound, Unauthorized
from relay.domain.hub import Relay, new_id, stamp
from relay.storage import Connection, fetch_all, participants
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
    async with relay.db.write() as conn:
        case = await case_row(conn, staff, case_id)
        if case["status"] in TERMINAL:
            raise Conflict(f"The case is {case['status']}; no one can join it now.")
        existing = await fetch_all(
            conn, "SELECT id, role, alias FROM participants WHERE case_id = ?", (case_id,)
        )
        if any(row["alias"].casefold() == alias.casefold() for row in existing):
            raise Conflict("Another participant of this case already has that alias.")
        if role == "supporter":
            principals = {row["id"] for row in existing if row["role"] != "supporter"}
            if supports not in principals:
                raise Invalid("A supporter must support a principal participant of this case.")
        else:
            if supports is not None:
                raise Invalid("Only a supporter supports someone.")
            if any(row["role"] == role for row in existing):
                raise Conflict(f"This case already has a {role} participant.")
        cipher = await relay.cipher(conn, case_id)
        participant_id = new_id("par")
        code = new_invite_code()
        now = relay.now()
        await conn.execute(
            "INSERT INTO participants (id, case_id, role, alias, supports, vault, invite_hash, "
            "created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (
                participant_id,
                case_id,
                role,
                alias,
                supports,
                cipher.seal_json("participants", participant_id, "vault", vault),
                code_hash(code),
                stamp(now),
            ),
        )
        await relay.audit.append(
            conn,
            at=now,
            actor=staff.label,
            action="participant.added",
            case_id=case_id,
            subject=participant_id,
            role=role,
        )
    return NewParticipant(participant_id, role, alias, code)


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
    async with relay.db.write() as conn:
        await case_row(conn, staff, case_id)
        rows = await fetch_all(
            conn,
            "SELECT vault FROM participants WHERE id = ? AND case_id = ?",
            (participant_id, case_id),
        )
        if not rows:
            raise NotFound()
        cipher = await relay.cipher(conn, case_id)
        vault = cipher.open_json("participants", participant_id, "vault", rows[0][0])
        await relay.audit.append(
            conn,
            at=relay.now(),
            actor=staff.label,
            action="participant.contact_read",
            case_id=case_id,
            subject=participant_id,
        )
    assert isinstance(vault, dict)
    return {key: str(vault.get(key, "")) for key in VAULT_FIELDS}


async def activate_invite(relay: Relay, code: str, passphrase: str) -> tuple[str, str]:
    """Spend an invite code: set the passphrase, return (participant id, login handle)."""
    digest = await relay.passwords.hash(passphrase)
    async with relay.db.write() as conn:
        rows = await fetch_all(
            conn, "SELECT id, case_id FROM participants WHERE invite_hash = ?", (code_hash(code),)
        )
        if not rows:
            raise Unauthorized("That invite code is not valid or has already been used.")
        participant_id, case_id = rows[0]
        login = new_login()
        now = relay.now()
        await conn.execute(
            "UPDATE participants SET invite_hash = NULL, login = ?, passphrase_hash = ?, "
            "activated_at = ? WHERE id = ?",
            (login, digest, stamp(now), participant_id),
        )
        await relay.audit.append(
            conn,
            at=now,
            actor=f"party:{participant_id}",
            action="participant.activated",
            case_id=case_id,
            subject=participant_id,
        )
    return participant_id, login
