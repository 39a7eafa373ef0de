"""Idempotency-Key records: the first answer to a request, kept 24 h per (principal, key).

A request carrying a key runs with `PENDING` set (relay/api/idempotency.py). Its first
`store.write` also reserves the key in the same transaction (a row with status 0 and no body),
so the domain's change and the key's record commit together or not at all: a retry after a crash
finds either nothing (and does the work once) or the reservation. The answer is stored with a
small write once the handler has answered. Bodies are sealed under a service-wide derived key
(they can quote a letter or an invite code).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from contextvars import ContextVar
from dataclasses import dataclass
from typing import TypeVar

from relay.crypto import CaseCipher, KeyStore
from relay.domain.errors import Conflict
from relay.storage.tx import Tx

T = TypeVar("T")
IN_PROGRESS = 0  # the status of a reservation whose answer is not stored (yet, or ever)
IN_PROGRESS_DETAIL = (
    "A request with this Idempotency-Key was received and is being carried out (or its answer "
    "was lost); check the current state before sending it again."
)


class KeyInUse(Conflict):
    """Another request with this key holds it (reserved or answered within the retention)."""

    def __init__(self) -> None:
        super().__init__(IN_PROGRESS_DETAIL)


@dataclass
class Pending:
    """A keyed request whose handler is running; its first write reserves the key."""

    principal: str
    key: str
    fingerprint: str  # method and path
    at: str  # when the request came (stamp)
    cutoff: str  # rows created at or before this have expired
    consumed: bool = False  # a write has taken (or is taking) the reservation
    reserved: bool = False  # ... and it committed

    def reserving(self, fn: Callable[[Tx], T]) -> Callable[[Tx], T]:
        """`fn`, then the key's reservation, in one transaction; KeyInUse if another has it."""

        def work(tx: Tx) -> T:
            result = fn(tx)
            if not store(tx, self, IN_PROGRESS, b""):
                raise KeyInUse()
            return result

        return work


def fingerprint(method: str, path: str) -> str:
    """What a key is bound to: the method and path (NUL spelled out: PostgreSQL's text cannot
    hold it, and a hostile path may)."""
    return f"{method} {path}".replace("\x00", "%00")


PENDING: ContextVar[Pending | None] = ContextVar("relay_idempotency_pending", default=None)


@dataclass(frozen=True, slots=True)
class Stored:
    fingerprint: str
    status: int  # IN_PROGRESS for a reservation
    body: bytes  # sealed; empty for a reservation

    @property
    def in_progress(self) -> bool:
        return self.status == IN_PROGRESS


@dataclass(frozen=True, slots=True)
class Answer:
    status: int
    text: str
    content_type: str


def cipher(keys: KeyStore) -> CaseCipher:
    return CaseCipher("idempotency", keys.derived_key("idempotency"))


def seal_answer(keys: KeyStore, principal: str, key: str, answer: Answer) -> bytes:
    body = {"text": answer.text, "type": answer.content_type}
    return cipher(keys).seal_json("idempotency", f"{principal}/{key}", "body", body)


def open_answer(keys: KeyStore, principal: str, key: str, stored: Stored) -> Answer:
    text = cipher(keys).open("idempotency", f"{principal}/{key}", "body", stored.body)
    body = json.loads(text)
    return Answer(stored.status, body["text"], body["type"])


def get(tx: Tx, principal: str, key: str, cutoff: str) -> Stored | None:
    """The record of (principal, key) made after `cutoff`, if there is one."""
    row = tx.one(
        "SELECT fingerprint, status, body FROM idempotency WHERE principal = ? AND key = ? "
        "AND created_at > ?",
        (principal, key, cutoff),
    )
    return None if row is None else Stored(str(row[0]), int(row[1]), bytes(row[2]))


def store(tx: Tx, pending: Pending, status: int, body: bytes) -> bool:
    """Record (principal, key) unless a live record is there; False if one was.

    An expired record (kept until the retention purge) is replaced. No constraint error is
    caught: on PostgreSQL that would abort the transaction.
    """
    count = tx.run(
        "INSERT INTO idempotency (principal, key, fingerprint, status, body, created_at) "
        "VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (principal, key) DO UPDATE SET "
        "fingerprint = excluded.fingerprint, status = excluded.status, body = excluded.body, "
        "created_at = excluded.created_at WHERE idempotency.created_at <= ?",
        (
            pending.principal,
            pending.key,
            pending.fingerprint,
            status,
            body,
            pending.at,
            pending.cutoff,
        ),
    )
    return count > 0


def answer(tx: Tx, pending: Pending, status: int, body: bytes) -> None:
    """Put the answer into the reservation this request made."""
    tx.run(
        "UPDATE idempotency SET status = ?, body = ? WHERE principal = ? AND key = ? "
        "AND status = ?",
        (status, body, pending.principal, pending.key, IN_PROGRESS),
    )


def purge(tx: Tx, cutoff: str) -> int:
    """Remove records made at or before `cutoff`; how many were removed."""
    return tx.run("DELETE FROM idempotency WHERE created_at <= ?", (cutoff,))


def delete_of_case(tx: Tx, case_id: str) -> None:
    """Remove the records of the case's participants (their answers can quote its content)."""
    tx.run(
        "DELETE FROM idempotency WHERE principal IN "
        "(SELECT 'party:' || id FROM participants WHERE case_id = ?)",
        (case_id,),
    )
