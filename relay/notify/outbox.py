"""The outbox worker: sends the content-free notifications that delivery queued.

At-least-once with deduplication: a notification is marked sent only after the SMTP server
accepted it, so a crash in between resends it once, with the same Message-ID (derived from the
notification id) for the receiving side to deduplicate. Failures back off exponentially and
give up after MAX_ATTEMPTS, leaving the state `failed` for practitioners to see.
Notifications of a paused case are held; withdrawal has already dropped them.

Several `relay serve` processes may share one PostgreSQL database. A worker claims the due
notifications in one write, with a lease (relay/storage/notifications.py), sends them outside
any transaction, and records each outcome in its own write, which also renews the lease on the
rest of its claim. A worker killed between sending and recording leaves its claim to run out;
then another worker takes it over and sends it again, with the same Message-ID.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import secrets
import socket
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta
from functools import partial

from relay.domain.actors import SYSTEM
from relay.domain.hub import Relay, stamp
from relay.notify.mailer import MAX_ATTEMPTS, Mailer, MailError, backoff_seconds, build_notification
from relay.storage import notifications, participants
from relay.storage.notifications import Claim
from relay.storage.tx import Tx

log = logging.getLogger("relay.notify.outbox")
POLL_SECONDS = 1.0
# How long a claim is held without news from its worker. It must outlast one send (the mailer
# gives each SMTP step its own timeout) since each recorded outcome renews it; it is also how
# long the notifications of a worker that died wait before another worker sends them.
LEASE = timedelta(minutes=5)
# This process's name on its claims (the pid alone repeats across containers).
WORKER = f"{socket.gethostname()}/{os.getpid()}/{secrets.token_hex(4)}"


@dataclass(frozen=True, slots=True)
class SendReport:
    sent: int = 0
    failed: int = 0
    retrying: int = 0


async def _address(relay: Relay, case_id: str, participant_id: str) -> str:
    vault = await relay.store.read(lambda tx: participants.vault(tx, case_id, participant_id))
    return str(vault.get("email") or "")


async def _deliver(relay: Relay, mailer: Mailer, claim: Claim) -> tuple[str | None, bool]:
    """Send one notification: (None, _) when the server took it, else (error, permanent)."""
    try:
        address = await _address(relay, claim.case_id, claim.participant_id)
    except Exception as exc:  # one unreadable row must not block the rest of the queue
        return f"recipient unreadable: {type(exc).__name__}", False
    if not address:
        return "no email address on file", True
    try:
        await mailer.send(build_notification(claim.id, address, mailer.settings))
    except MailError as exc:
        return str(exc), exc.permanent
    except ValueError as exc:  # an address the mailer refuses to use
        return f"unusable address: {type(exc).__name__}", True
    return None, False


async def claim_due(relay: Relay, *, worker: str = WORKER, limit: int = 50) -> list[Claim]:
    """Claim for `worker` the queued notifications that are due and whose case is active."""
    now = relay.now()
    if not await relay.store.read(lambda tx: notifications.any_due(tx, stamp(now))):
        return []
    return await relay.store.write(
        lambda tx: notifications.claim_due(
            tx, worker=worker, now=stamp(now), lease_until=stamp(now + LEASE), limit=limit
        )
    )


def _record(
    relay: Relay,
    tx: Tx,
    *,
    claim: Claim,
    worker: str,
    error: str | None,
    permanent: bool,
    rest: Sequence[str] = (),
) -> str:
    """One attempt's outcome, in the writer's transaction: 'sent', 'failed', 'retrying', or
    '' when another worker has taken the notification over. Renews the lease on `rest` (the
    ids this pass has still to send)."""
    now = relay.now()
    notifications.renew(tx, rest, worker=worker, lease_until=stamp(now + LEASE))
    tries = claim.attempts + 1
    if error is None:
        if notifications.mark_sent(tx, claim.id, at=stamp(now), attempts=tries):
            relay.audit.append(
                tx,
                at=now,
                actor=SYSTEM,
                action="notification.sent",
                case_id=claim.case_id,
                subject=claim.id,
            )
        return "sent"
    give_up = permanent or tries >= MAX_ATTEMPTS
    retry_at = now + timedelta(seconds=backoff_seconds(tries))
    if not notifications.record_failure(
        tx,
        claim.id,
        worker=worker,
        give_up=give_up,
        attempts=tries,
        retry_at=stamp(retry_at),
        error=error[:300],
    ):
        return ""
    if give_up:
        relay.audit.append(
            tx,
            at=now,
            actor=SYSTEM,
            action="notification.failed",
            case_id=claim.case_id,
            subject=claim.id,
            attempts=tries,
        )
        return "failed"
    return "retrying"


async def _attempt(
    relay: Relay, mailer: Mailer, claim: Claim, worker: str, rest: Sequence[str]
) -> str:
    """Send one claimed notification, then record the outcome (see `_record`)."""
    error, permanent = await _deliver(relay, mailer, claim)
    record = partial(
        _record, relay, claim=claim, worker=worker, error=error, permanent=permanent, rest=rest
    )
    outcome = await relay.store.write(record)
    if error is not None:
        tries = claim.attempts + 1
        log.warning("notification %s not sent (attempt %d): %s", claim.id, tries, error)
    return outcome


async def send_due(
    relay: Relay, mailer: Mailer, limit: int = 50, *, worker: str = WORKER
) -> SendReport:
    """Claim and send every queued notification that is due and whose case is active."""
    claims = await claim_due(relay, worker=worker, limit=limit)
    outcomes: list[str] = []
    ids = [claim.id for claim in claims]
    try:
        for n, claim in enumerate(claims):
            outcomes.append(await _attempt(relay, mailer, claim, worker, ids[n + 1 :]))
    finally:
        if len(outcomes) < len(claims):  # stopped early: the rest is due again at once
            await _release(relay, worker, ids[len(outcomes) :])
    return SendReport(outcomes.count("sent"), outcomes.count("failed"), outcomes.count("retrying"))


async def _release(relay: Relay, worker: str, ids: Sequence[str]) -> None:
    try:
        await relay.store.write(lambda tx: notifications.release(tx, ids, worker=worker))
    except Exception:  # the leases run out by themselves
        log.exception("could not release the outbox's claims; they expire in %s", LEASE)


async def run_outbox(relay: Relay, mailer: Mailer, stop: asyncio.Event) -> None:
    """Poll for due notifications until `stop` is set (a delivery is mailed within seconds)."""
    while not stop.is_set():
        try:
            await send_due(relay, mailer)
        except Exception:
            log.exception("outbox pass failed; will retry")
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), POLL_SECONDS)
