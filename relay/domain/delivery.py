"""Release of approved items into the recipient's inbox, and halting on withdrawal.

An approved item is released when its case is active and the recipient's delivery window is
open. Release moves the item to `delivered`, queues a content-free notification and appends the
audit event — all in the caller's transaction, so a crash leaves either all or none of them.
"""

from __future__ import annotations

import json
from datetime import datetime, time
from zoneinfo import ZoneInfo

from relay.config import DeliveryWindow
from relay.domain.access import case_row, staff_only
from relay.domain.actors import SYSTEM, Actor
from relay.domain.errors import Conflict
from relay.domain.hub import Relay, new_id, stamp
from relay.storage import Connection, Row, fetch_all

UNDELIVERED = ("pending", "countersign", "approved", "returned")


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


async def release(relay: Relay, conn: Connection, case_id: str) -> list[str]:
    """Deliver the case's approved items whose recipient's window is open; return their ids."""
    rows = await fetch_all(
        conn,
        "SELECT i.id, i.recipient_id, p.window_json FROM items i "
        "JOIN participants p ON p.id = i.recipient_id JOIN cases c ON c.id = i.case_id "
        "WHERE i.case_id = ? AND i.state = 'approved' AND c.status = 'active' "
        "ORDER BY i.approved_at, i.seq",
        (case_id,),
    )
    now = relay.now()
    delivered = []
    for item_id, recipient_id, window_json in rows:
        window = window_from_json(window_json, relay.config.delivery_window)
        if not window_open(window, now, relay.config.timezone):
            continue
        sets = delivered_columns(now)
        await conn.execute(
            f"UPDATE items SET {', '.join(f'{k} = ?' for k in sets)} WHERE id = ?",  # noqa: S608
            (*sets.values(), item_id),
        )
        await delivered_notice(relay, conn, case_id, item_id, recipient_id)
        delivered.append(item_id)
    return delivered


def delivered_columns(now: datetime) -> dict[str, object]:
    """What a delivery sets on the item (by `release`, or by a decision delivering at once)."""
    return {
        "state": "delivered",
        "recipient_state": "waiting",
        "delivered_at": stamp(now),
        "updated_at": stamp(now),
    }


async def deliverable_now(relay: Relay, conn: Connection, case: Row, recipient_id: str) -> bool:
    """Whether an item approved now for `recipient_id` goes straight into their inbox."""
    if case["status"] != "active":
        return False
    rows = await fetch_all(
        conn, "SELECT window_json FROM participants WHERE id = ?", (recipient_id,)
    )
    window = window_from_json(rows[0][0], relay.config.delivery_window)
    return window_open(window, relay.now(), relay.config.timezone)


async def delivered_notice(
    relay: Relay, conn: Connection, case_id: str, item_id: str, recipient_id: str
) -> None:
    """What follows a delivery in the same transaction: a content-free notification to the
    recipient, and to their supporter where the recipient allowed the supporter to read what
    they receive (DESIGN: the recipient is the principal "and that principal's supporter,
    where permitted"); then the audit event."""
    now = relay.now()
    supporters = await fetch_all(
        conn,
        "SELECT s.id FROM participants s JOIN participants p ON p.id = s.supports "
        "WHERE s.case_id = ? AND s.supports = ? AND s.role = 'supporter' "
        "AND p.supporter_read = 1 ORDER BY s.created_at",
        (case_id, recipient_id),
    )
    for participant_id in (recipient_id, *(row[0] for row in supporters)):
        await conn.execute(
            "INSERT INTO notifications (id, case_id, participant_id, item_id, state, "
            "next_attempt_at, created_at) VALUES (?, ?, ?, ?, 'queued', ?, ?)",
            (new_id("ntf"), case_id, participant_id, item_id, stamp(now), stamp(now)),
        )
    await relay.audit.append(
        conn,
        at=now,
        actor=SYSTEM,
        action="item.delivered",
        case_id=case_id,
        subject=item_id,
        recipient=recipient_id,
    )


async def release_all_due(relay: Relay) -> list[str]:
    """Release everything that has become due (a window opened); run periodically."""
    cases = await fetch_all(
        relay.db.reader,
        "SELECT DISTINCT i.case_id FROM items i JOIN cases c ON c.id = i.case_id "
        "WHERE i.state = 'approved' AND c.status = 'active'",
    )
    released: list[str] = []
    for (case_id,) in cases:
        async with relay.db.write() as conn:
            released += await release(relay, conn, case_id)
    return released


async def halt_case(relay: Relay, conn: Connection, case_id: str) -> int:
    """Halt every undelivered item for good and drop queued notifications."""
    now = relay.now()
    halted = await fetch_all(
        conn,
        "SELECT id, state FROM items WHERE case_id = ? AND state IN (?, ?, ?, ?) ORDER BY seq",
        (case_id, *UNDELIVERED),
    )
    for item_id, previous in halted:
        await conn.execute(
            "UPDATE items SET state = 'halted', claimed_by = NULL, claimed_until = NULL, "
            "updated_at = ? WHERE id = ?",
            (stamp(now), item_id),
        )
        await relay.audit.append(
            conn,
            at=now,
            actor=SYSTEM,
            action="item.halted",
            case_id=case_id,
            subject=item_id,
            previous=previous,
        )
    await conn.execute(
        "UPDATE notifications SET state = 'dropped' WHERE case_id = ? AND state = 'queued'",
        (case_id,),
    )
    return len(halted)


async def retry_failed_notifications(relay: Relay, actor: Actor, case_id: str) -> int:
    """Queue again the case's notifications that gave up (the outbox sends them within
    seconds); return how many. A practitioner uses it once the mail problem is mended."""
    staff = staff_only(actor)
    async with relay.db.write() as conn:
        case = await case_row(conn, staff, case_id)
        if case["status"] != "active":
            raise Conflict("Notifications go out only while the case is active.")
        now = stamp(relay.now())
        cursor = await conn.execute(
            "UPDATE notifications SET state = 'queued', attempts = 0, next_attempt_at = ?, "
            "last_error = NULL WHERE case_id = ? AND state = 'failed'",
            (now, case_id),
        )
        if cursor.rowcount == 0:
            raise Conflict("No notification has failed on this case.")
        await relay.audit.append(
            conn,
            at=relay.now(),
            actor=staff.label,
            action="notifications.retried",
            case_id=case_id,
            subject=case_id,
            count=cursor.rowcount,
        )
    return cursor.rowcount
