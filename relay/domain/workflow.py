"""The practitioner's daily workflow: saved reasons, the thread view, outcomes and reporting."""

from __future__ import annotations

import json
import statistics
from collections.abc import Sequence

from relay.audit import AuditLog
from relay.domain.access import case_row, specialist_only, staff_only
from relay.domain.actors import Actor
from relay.domain.cases import OUTCOMES
from relay.domain.hub import Relay, new_id, stamp
from relay.domain.views import _open
from relay.storage import fetch_all


async def saved_reasons(relay: Relay, actor: Actor) -> list[dict[str, str]]:
    staff_only(actor)
    rows = await fetch_all(
        relay.db.reader, "SELECT id, purpose, text FROM saved_reasons ORDER BY purpose, position"
    )
    return [{"id": row[0], "purpose": row[1], "text": row[2]} for row in rows]


async def replace_saved_reasons(
    relay: Relay, actor: Actor, reasons: Sequence[tuple[str, str]]
) -> list[dict[str, str]]:
    """The specialist replaces the whole list of (purpose, text)."""
    staff = specialist_only(actor)
    async with relay.db.write() as conn:
        await conn.execute("DELETE FROM saved_reasons")
        now = stamp(relay.now())
        await conn.executemany(
            "INSERT INTO saved_reasons VALUES (?, ?, ?, ?, ?, ?)",
            [
                (new_id("rsn"), purpose, text, position, staff.id, now)
                for position, (purpose, text) in enumerate(reasons)
            ],
        )
        await relay.audit.append(
            conn, at=relay.now(), actor=staff.label, action="reasons.replaced", count=len(reasons)
        )
    return await saved_reasons(relay, staff)


async def thread(relay: Relay, actor: Actor, case_id: str) -> dict[str, object]:
    """Both directions of a case in order: originals, delivered versions, notes, decisions."""
    staff = staff_only(actor)
    async with relay.db.write() as conn:
        await case_row(conn, staff, case_id)
        cipher = await relay.cipher(conn, case_id)
        aliases = {
            row[0]: (row[1], row[2])
            for row in await fetch_all(
                conn, "SELECT id, alias, role FROM participants WHERE case_id = ?", (case_id,)
            )
        }
        rows = await fetch_all(
            conn, "SELECT * FROM items WHERE case_id = ? ORDER BY seq", (case_id,)
        )
        entries = []
        for row in rows:
            events = await AuditLog.events(conn, subject=row["id"])
            original = _open(cipher, row, "original")
            body = _open(cipher, row, "body")
            entries.append(
                {
                    "id": row["id"],
                    "kind": row["kind"],
                    "from": {"alias": aliases[row["author_id"]][0], "role": row["author_role"]},
                    "to": {
                        "alias": aliases[row["recipient_id"]][0],
                        "role": aliases[row["recipient_id"]][1],
                    },
                    "state": row["state"],
                    "recipient_state": row["recipient_state"],
                    "version": row["version"],
                    "written_at": row["created_at"],
                    "original": original,
                    "delivered_text": body if row["state"] == "delivered" else None,
                    "note": _open(cipher, row, "note"),
                    "content_note": _open(cipher, row, "content_note"),
                    "events": [
                        {"at": e.at, "actor": e.actor, "action": e.action, "details": e.details}
                        for e in events
                    ],
                }
            )
        if rows:
            await relay.audit.append(
                conn,
                at=relay.now(),
                actor=staff.label,
                action="thread.read",
                case_id=case_id,
                subject=case_id,
                items=len(rows),
            )
    return {"case_id": case_id, "items": entries}


async def report(relay: Relay, actor: Actor) -> dict[str, object]:
    """Counts by outcome and the median time from writing to delivery, across cases."""
    specialist_only(actor)
    # Whole-store reads: aside from the event loop, and aggregated inside SQLite.
    read = relay.db.read_aside
    by_status = {
        row[0]: row[1] for row in await read("SELECT status, COUNT(*) FROM cases GROUP BY status")
    }
    outcomes = dict.fromkeys(OUTCOMES, 0)
    for (raw,) in await read("SELECT outcomes FROM cases WHERE outcomes IS NOT NULL"):
        for outcome in json.loads(raw):
            outcomes[outcome] = outcomes.get(outcome, 0) + 1
    ((delivered,),) = await read("SELECT COUNT(*) FROM items WHERE delivered_at IS NOT NULL")
    median = None
    if delivered:
        # The middle one or two of the hours from writing to delivery, in order.
        middle = await read(
            "SELECT (julianday(delivered_at) - julianday(created_at)) * 24 AS hours FROM items "
            "WHERE delivered_at IS NOT NULL ORDER BY hours LIMIT ? OFFSET ?",
            (2 - delivered % 2, (delivered - 1) // 2),
        )
        median = round(statistics.fmean(row[0] for row in middle), 2)
    return {
        "cases_by_status": by_status,
        "outcomes": outcomes,
        "delivered_items": delivered,
        "median_hours_to_delivery": median,
    }
