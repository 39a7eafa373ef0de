"""Release of approved items into the recipient's inbox, and halting on withdrawal.

An approved item is released when its case is active and the recipient's delivery window is
open. Release moves the item to `delivered`, queues a content-free notification and appends the
audit event — all in the caller's transaction, so a crash leaves either all or none of them.
"""

from __future__ import annotations

import json
from datetime import datetime, time
from functools import partial
from zoneinfo import ZoneInfo

from relay.config import DeliveryWindow
from relay.domain.access import case_for, staff_only
from relay.domain.actors import SYSTEM, Actor
from relay.domain.errors import Conflict
from relay.domain.hub import Relay, stamp
from relay.domain.lifecycle import item_move
from relay.domain.states import UNDELIVERED, CaseStatus, ItemState, RecipientState
from relay.storage import items, notifications, participants
from relay.storage.cases import Case
from relay.storage.tx import Tx


def window_from_json(raw: str | None, default: DeliveryWindow | None) -> DeliveryWindow | None:
    """A participant's stored window: NULL means the hub default, 'null' means any time."""
    if raw is None:
        return default
    data = json.loads(raw)
    if data is None:
        return None
    return DeliveryWindow(
        tuple(data["days"]), time.fromisoformat(data["start"]), time.fromisoformat(data["end"])
    )


def window_open(window: DeliveryWindow | None, when: datetime, tz: ZoneInfo) -> bool:
    if window is None:
        return True
    local = when.astimezone(tz)
    return local.isoweekday() in window.days and window.start <= local.time() < window.end


def release(relay: Relay, tx: Tx, case_id: str) -> list[str]:
    """Deliver the case's approved items whose recipient's window is open; return their ids."""
    now = relay.now()
    delivered = []
    for item, window_json in items.approved_awaiting_release(tx, case_id):
        window = window_from_json(window_json, relay.config.delivery_window)
        if not window_open(window, now, relay.config.timezone):
            continue
        items.update(tx, item, delivered_columns(item.state, now))
        delivered_notice(relay, tx, case_id, item.id, item.recipient_id)
        delivered.append(item.id)
    return delivered


def delivered_columns(state: str, now: datetime) -> dict[str, object]:
    """What a delivery sets on an item that is `state` (approved), by `release` or by a
    decision delivering at once."""
    return {
        "state": item_move(state, ItemState.DELIVERED),
        "recipient_state": RecipientState.WAITING,
        "delivered_at": stamp(now),
        "updated_at": stamp(now),
    }


def deliverable_now(relay: Relay, tx: Tx, case: Case, recipient_id: str) -> bool:
    """Whether an item approved now for `recipient_id` goes straight into their inbox."""
    if case.status != CaseStatus.ACTIVE:
        return False
    window = window_from_json(
        participants.window_json(tx, recipient_id), relay.config.delivery_window
    )
    return window_open(window, relay.now(), relay.config.timezone)


def delivered_notice(relay: Relay, tx: Tx, case_id: str, item_id: str, recipient_id: str) -> None:
    """What follows a delivery in the same transaction: a content-free notification to the
    recipient, and to their supporter where the recipient allowed the supporter to read what
    they receive (DESIGN: the recipient is the principal "and that principal's supporter,
    where permitted"); then the audit event."""
    now = relay.now()
    supporters = participants.permitted_supporters(tx, case_id, recipient_id)
    for participant_id in (recipient_id, *supporters):
        notifications.queue(
            tx, case_id=case_id, participant_id=participant_id, item_id=item_id, at=stamp(now)
        )
    relay.audit.append(
        tx,
        at=now,
        actor=SYSTEM,
        action="item.delivered",
        case_id=case_id,
        subject=item_id,
        recipient=recipient_id,
    )


async def release_all_due(relay: Relay) -> list[str]:
    """Release everything that has become due (a window opened); run periodically."""
    released: list[str] = []
    for case_id in await relay.store.read(items.cases_with_approved):
        released += await relay.store.write(partial(release, relay, case_id=case_id))
    return released


def halt_case(relay: Relay, tx: Tx, case_id: str) -> int:
    """Halt every undelivered item for good and drop queued notifications."""
    now = relay.now()
    halted = items.in_states(tx, case_id, UNDELIVERED)
    for item in halted:
        items.update(
            tx,
            item,
            {
                "state": item_move(item.state, ItemState.HALTED),
                "claimed_by": None,
                "claimed_until": None,
                "updated_at": stamp(now),
            },
        )
        relay.audit.append(
            tx,
            at=now,
            actor=SYSTEM,
            action="item.halted",
            case_id=case_id,
            subject=item.id,
            previous=item.state,
        )
    notifications.drop_queued(tx, case_id)
    return len(halted)


async def retry_failed_notifications(relay: Relay, actor: Actor, case_id: str) -> int:
    """Queue again the case's notifications that gave up (the outbox sends them within
    seconds); return how many. A practitioner uses it once the mail problem is mended."""
    staff = staff_only(actor)

    def retry(tx: Tx) -> int:
        case = case_for(tx, staff, case_id)
        if case.status != CaseStatus.ACTIVE:
            raise Conflict("Notifications go out only while the case is active.")
        count = notifications.requeue_failed(tx, case_id, stamp(relay.now()))
        if count == 0:
            raise Conflict("No notification has failed on this case.")
        relay.audit.append(
            tx,
            at=relay.now(),
            actor=staff.label,
            action="notifications.retried",
            case_id=case_id,
            subject=case_id,
            count=count,
        )
        return count

    return await relay.store.write(retry)
