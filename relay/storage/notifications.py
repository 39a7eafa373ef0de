"""The notification outbox: rows queued by delivery, claimed and marked by the outbox worker."""

from __future__ import annotations

import secrets

from relay.storage.tx import Tx


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
