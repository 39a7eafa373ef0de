"""The outbox worker: sends the content-free notifications that delivery queued.

At-least-once with deduplication: a notification is marked sent only after the SMTP server
accepted it, so a crash in between resends it once, with the same Message-ID (derived from the
notification id) for the receiving side to deduplicate. Failures back off exponentially and
give up after MAX_ATTEMPTS, leaving the state `failed` for practitioners to see.
Notifications of a paused case are held; withdrawal has already dropped them.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from dataclasses import dataclass
from datetime import timedelta

from relay.domain.actors import SYSTEM
from relay.domain.hub import Relay, stamp
from relay.mailer import MAX_ATTEMPTS, Mailer, MailError, backoff_seconds, build_notification
from relay.storage import fetch_all

log = logging.getLogger("relay.outbox")
POLL_SECONDS = 1.0


@dataclass(frozen=True, slots=True)
class SendReport:
    sent: int = 0
    failed: int = 0
    retrying: int = 0


async def _address(relay: Relay, case_id: str, participant_id: str) -> str:
    conn = relay.db.reader
    cipher = await relay.cipher(conn, case_id)
    rows = await fetch_all(conn, "SELECT vault FROM participants WHERE id = ?", (participant_id,))
    vault = cipher.open_json("participants", participant_id, "vault", rows[0][0])
    assert isinstance(vault, dict)
    return str(vault.get("email") or "")


async def _deliver(
    relay: Relay, mailer: Mailer, notification_id: str, case_id: str, participant_id: str
) -> tuple[str | None, bool]:
    """Send one notification: (None, _) when the server took it, else (error, permanent)."""
    try:
        address = await _address(relay, case_id, participant_id)
    except Exception as exc:  # one unreadable row must not block the rest of the queue
        return f"recipient unreadable: {type(exc).__name__}", False
    if not address:
        return "no email address on file", True
    try:
        await mailer.send(build_notification(notification_id, address, mailer.settings))
    except MailError as exc:
        return str(exc), exc.permanent
    except ValueError as exc:  # an address the mailer refuses to use
        return f"unusable address: {type(exc).__name__}", True
    return None, False


async def send_due(relay: Relay, mailer: Mailer, limit: int = 50) -> SendReport:
    """Send every queued notification that is due and whose case is active."""
    now = relay.now()
    due = await fetch_all(
        relay.db.reader,
        "SELECT n.id, n.case_id, n.participant_id, n.attempts FROM notifications n "
        "JOIN cases c ON c.id = n.case_id WHERE n.state = 'queued' AND n.next_attempt_at <= ? "
        "AND c.status = 'active' ORDER BY n.next_attempt_at LIMIT ?",
        (stamp(now), limit),
    )
    sent = failed = retrying = 0
    for notification_id, case_id, participant_id, attempts in due:
        error, permanent = await _deliver(relay, mailer, notification_id, case_id, participant_id)
        async with relay.db.write() as conn:
            # Withdrawal may have dropped it while we were sending; only a queued row changes.
            if error is None:
                await conn.execute(
                    "UPDATE notifications SET state = 'sent', sent_at = ?, attempts = ? "
                    "WHERE id = ? AND state = 'queued'",
                    (stamp(relay.now()), attempts + 1, notification_id),
                )
                await relay.audit.append(
                    conn,
                    at=relay.now(),
                    actor=SYSTEM,
                    action="notification.sent",
                    case_id=case_id,
                    subject=notification_id,
                )
                sent += 1
                continue
            tries = attempts + 1
            give_up = permanent or tries >= MAX_ATTEMPTS
            retry_at = relay.now() + timedelta(seconds=backoff_seconds(tries))
            await conn.execute(
                "UPDATE notifications SET state = ?, attempts = ?, next_attempt_at = ?, "
                "last_error = ? WHERE id = ? AND state = 'queued'",
                (
                    "failed" if give_up else "queued",
                    tries,
                    stamp(retry_at),
                    error[:300],
                    notification_id,
                ),
            )
            if give_up:
                await relay.audit.append(
                    conn,
                    at=relay.now(),
                    actor=SYSTEM,
                    action="notification.failed",
                    case_id=case_id,
                    subject=notification_id,
                    attempts=tries,
                )
                failed += 1
            else:
                retrying += 1
        log.warning("notification %s not sent (attempt %d): %s", notification_id, tries, error)
    return SendReport(sent, failed, retrying)


async def run_outbox(relay: Relay, mailer: Mailer, stop: asyncio.Event) -> None:
    """Poll for due notifications until `stop` is set (a delivery is mailed within seconds)."""
    while not stop.is_set():
        try:
            await send_due(relay, mailer)
        except Exception:
            log.exception("outbox pass failed; will retry")
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), POLL_SECONDS)
