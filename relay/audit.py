"""The audit chain: append-only events, each MAC'd together with its predecessor's MAC.

The MAC key lives in keys/, not in the database, so someone who can write the database but not
read the key cannot rewrite history without `relay audit verify` naming the first altered event.
Events carry ids, states, versions and gate names — never content or contact details.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from dataclasses import dataclass
from datetime import datetime

from relay.audit_anchor import Anchor, head
from relay.storage import Connection, fetch_all

GENESIS = "0" * 64


def _canonical(
    seq: int,
    at: str,
    actor: str,
    action: str,
    case_id: str | None,
    subject: str | None,
    details: str,
) -> bytes:
    return json.dumps(
        [seq, at, actor, action, case_id, subject, details],
        separators=(",", ":"),
        ensure_ascii=True,
    ).encode()


@dataclass(frozen=True, slots=True)
class AuditEvent:
    seq: int
    at: str
    actor: str
    action: str
    case_id: str | None
    subject: str | None
    details: dict[str, object]

    def as_json(self) -> dict[str, object]:
        return {
            "seq": self.seq,
            "at": self.at,
            "actor": self.actor,
            "action": self.action,
            "case_id": self.case_id,
            "subject": self.subject,
            "details": self.details,
        }


@dataclass(frozen=True, slots=True)
class VerifyResult:
    ok: bool
    checked: int
    first_bad: int | None = None
    reason: str = ""


class AuditLog:
    def __init__(self, key: bytes) -> None:
        self._key = key

    def _mac(self, prev_mac: str, payload: bytes) -> str:
        return hmac.new(self._key, prev_mac.encode() + payload, hashlib.sha256).hexdigest()

    async def append(
        self,
        conn: Connection,
        *,
        at: datetime,
        actor: str,
        action: str,
        case_id: str | None = None,
        subject: str | None = None,
        **details: object,
    ) -> int:
        """Append one event; call inside the write transaction of the change it records.

        The transaction holds SQLite's write lock and statements run on the loop's thread, so
        nothing can append between reading the chain's end and inserting after it. (One
        `INSERT … SELECT` calling back into Python for the MAC cost 36 µs against 16 µs for
        these two statements: SQLite copies a SELECT from the table it inserts into first.)
        """
        when = at.isoformat(timespec="microseconds")
        body = json.dumps(details, separators=(",", ":"), sort_keys=True)
        last = await head(conn)
        seq, prev = (last.seq + 1, last.mac) if last is not None else (1, GENESIS)
        mac = self._mac(prev, _canonical(seq, when, actor, action, case_id, subject, body))
        await conn.execute(
            "INSERT INTO audit_events (seq, at, actor, action, case_id, subject, details, "
            "prev_mac, mac) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (seq, when, actor, action, case_id, subject, body, prev, mac),
        )
        return int(seq)

    async def verify(self, conn: Connection, anchor: Anchor | None = None) -> VerifyResult:
        """Recompute the chain from the first event; name the first one that does not hold.

        With an `anchor` (keys/audit.anchor), the event it names must still be there, unchanged:
        that is what shows the newest events were not cut off.
        """
        prev = GENESIS
        expected_seq = 1
        checked = 0
        anchored_mac: str | None = None
        cursor = await conn.execute(
            "SELECT seq, at, actor, action, case_id, subject, details, prev_mac, mac "
            "FROM audit_events ORDER BY seq"
        )
        async for row in cursor:
            seq = row[0]
            if seq != expected_seq:
                return VerifyResult(False, checked, expected_seq, "event is missing")
            if row[7] != prev:
                return VerifyResult(False, checked, seq, "link to the previous event broken")
            payload = _canonical(seq, row[1], row[2], row[3], row[4], row[5], row[6])
            if not hmac.compare_digest(self._mac(prev, payload), row[8]):
                return VerifyResult(False, checked, seq, "event was altered")
            prev = row[8]
            if anchor is not None and seq == anchor.seq:
                anchored_mac = row[8]
            expected_seq += 1
            checked += 1
        if anchor is not None:
            if anchor.seq > checked:
                return VerifyResult(
                    False,
                    checked,
                    anchor.seq,
                    f"the log ends at event {checked} but event {anchor.seq} was recorded in "
                    "keys/audit.anchor: events were cut from its end, or the database was "
                    "restored from a backup (after a deliberate restore, run "
                    "`relay audit reanchor`)",
                )
            if anchored_mac != anchor.mac:
                return VerifyResult(
                    False, checked, anchor.seq, "event differs from the one in keys/audit.anchor"
                )
        return VerifyResult(True, checked)

    @staticmethod
    async def events(
        conn: Connection, *, case_id: str | None = None, subject: str | None = None
    ) -> list[AuditEvent]:
        base = "SELECT seq, at, actor, action, case_id, subject, details FROM audit_events "
        if subject is not None:
            query, arg = base + "WHERE subject = ? ORDER BY seq", subject
        elif case_id is not None:
            query, arg = base + "WHERE case_id = ? ORDER BY seq", case_id
        else:
            raise ValueError("events() needs a case_id or a subject")
        rows = await fetch_all(conn, query, (arg,))
        return [AuditEvent(r[0], r[1], r[2], r[3], r[4], r[5], json.loads(r[6])) for r in rows]
