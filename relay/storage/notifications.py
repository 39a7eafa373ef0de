"""The notification outbox: rows queued by delivery, claimed and marked by the outbox worker.

Several `relay serve` processes may share one database, so a worker first *claims* due
notifications (`claimed_by`, `lease_until`) in one write, sends them outside any transaction,
then records each outcome in another write. Writes are serialised (one writer thread; on
PostgreSQL the writers' advisory lock), so the claim's read-then-update cannot be raced; on
PostgreSQL the rows are also locked `FOR UPDATE SKIP LOCKED`, which keeps claims apart even if
writes were ever serialised per hub rather than per database. A claim whose lease has run out
(its process died between sending and recording) is due again for any worker.
"""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from dataclasses import dataclass

from relay.storage.tx import Tx


@dataclass(frozen=True, slots=True)
class Claim:
    """A notification a worker has claimed: what it needs to send it and record the outcome."""

    id: str
    case_id: str
    participant_id: str
    attempts: int


def queue(tx: Tx, *, case_id: str, participant_id: str, item_id: str, at: str) -> str:
    """Queue one content-free notification; its id (the Message-ID is derived from it)."""
    notification_id = f"ntf_{secrets.token_hex(8)}"
    tx.run(
        "INSERT INTO notifications (id, case_id, participant_id, item_id, state, "
        "next_attempt_at, created_at) VALUES (?, ?, ?, ?, 'queued', ?, ?)",
        (notification_id, case_id, participant_id, item_id, at, at),
    )
    return notification_id


def drop_queued(tx: Tx, case_id: str) -> int:
    """Withdrawal: the case's queued notifications are never sent."""
    return tx.run(
        "UPDATE notifications SET state = 'dropped' WHERE case_id = ? AND state = 'queued'",
        (case_id,),
    )


def requeue_failed(tx: Tx, case_id: str, at: str) -> int:
    """Queue again the case's notifications that gave up; how many."""
    return tx.run(
        "UPDATE notifications SET state = 'queued', attempts = 0, next_attempt_at = ?, "
        "last_error = NULL WHERE case_id = ? AND state = 'failed'",
        (at, case_id),
    )


# Queued, due, of an active case, and claimed by no worker whose lease still runs.
_DUE = (
    "FROM notifications n JOIN cases c ON c.id = n.case_id "
    "WHERE n.state = 'queued' AND n.next_attempt_at <= ? AND c.status = 'active' "
    "AND (n.lease_until IS NULL OR n.lease_until <= ?)"
)


def any_due(tx: Tx, now: str) -> bool:
    """Whether a claim now would find anything (a read, so an idle worker never writes)."""
    return tx.one(f"SELECT 1 {_DUE} LIMIT 1", (now, now)) is not None


def claim_due(tx: Tx, *, worker: str, now: str, lease_until: str, limit: int) -> list[Claim]:
    """Claim up to `limit` due notifications for `worker` until `lease_until`, oldest first."""
    lock = " FOR UPDATE OF n SKIP LOCKED" if tx.dialect == "postgresql" else ""
    rows = tx.rows(
        f"SELECT n.id, n.case_id, n.participant_id, n.attempts {_DUE} "
        f"ORDER BY n.next_attempt_at, n.id LIMIT ?{lock}",
        (now, now, limit),
    )
    claims = [Claim(row[0], row[1], row[2], int(row[3])) for row in rows]
    if claims:
        tx.run(
            "UPDATE notifications SET claimed_by = ?, lease_until = ? "  # noqa: S608
            f"WHERE id IN ({_ids([claim.id for claim in claims])})",
            (worker, lease_until, *(claim.id for claim in claims)),
        )
    return claims


def _ids(ids: Sequence[str]) -> str:
    return ", ".join("?" for _ in ids)


def renew(tx: Tx, ids: Sequence[str], *, worker: str, lease_until: str) -> int:
    """Extend `worker`'s lease on those of `ids` it still holds, queued; how many."""
    if not ids:
        return 0
    return tx.run(
        "UPDATE notifications SET lease_until = ? "  # noqa: S608
        f"WHERE claimed_by = ? AND state = 'queued' AND id IN ({_ids(ids)})",
        (lease_until, worker, *ids),
    )


def release(tx: Tx, ids: Sequence[str], *, worker: str) -> int:
    """Give up `worker`'s claims on those of `ids` still queued (due again at once); how many."""
    if not ids:
        return 0
    return tx.run(
        "UPDATE notifications SET claimed_by = NULL, lease_until = NULL "  # noqa: S608
        f"WHERE claimed_by = ? AND state = 'queued' AND id IN ({_ids(ids)})",
        (worker, *ids),
    )


def mark_sent(tx: Tx, notification_id: str, *, at: str, attempts: int) -> bool:
    """Record that the mail server took the notification; False if a worker already had.

    Only a queued row changes (withdrawal may have dropped it while it was being sent); a row
    already sent was sent again by a worker that took over an expired claim, and is left alone.
    """
    if tx.value("SELECT state FROM notifications WHERE id = ?", (notification_id,)) == "sent":
        return False
    tx.run(
        "UPDATE notifications SET state = 'sent', sent_at = ?, attempts = ?, claimed_by = NULL, "
        "lease_until = NULL WHERE id = ? AND state = 'queued'",
        (at, attempts, notification_id),
    )
    return True


def record_failure(
    tx: Tx,
    notification_id: str,
    *,
    worker: str,
    give_up: bool,
    attempts: int,
    retry_at: str,
    error: str,
) -> bool:
    """Record a failed attempt by `worker`: queued again for `retry_at`, or `failed` when it
    gives up. False (nothing changed) if another worker has taken the claim over meanwhile."""
    holder = tx.value("SELECT claimed_by FROM notifications WHERE id = ?", (notification_id,))
    if holder != worker:
        return False
    tx.run(
        "UPDATE notifications SET state = ?, attempts = ?, next_attempt_at = ?, last_error = ?, "
        "claimed_by = NULL, lease_until = NULL WHERE id = ? AND state = 'queued'",
        ("failed" if give_up else "queued", attempts, retry_at, error, notification_id),
    )
    return True
