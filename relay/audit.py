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

from relay.audit_anchor import Anchor
from relay.storage import Connection, fetch_all
from relay.storage.db import Database

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

        One statement: SQLite finds the next seq and the previous MAC and calls back into
        `relay_audit_mac` (registered by `install`) for the new MAC, so appending costs one
        round trip to the database thread instead of a read and a write.
        """
        when = at.isoformat(timespec="microseconds")
        body = json.dumps(details, separators=(",", ":"), sort_keys=True)
        cursor = await conn.execute(
            "INSERT INTO audit_events (seq, at, actor, action, case_id, subject, details, "
            "prev_mac, mac) SELECT seq, ?1, ?2, ?3, ?4, ?5, ?6, prev, "
            "relay_audit_mac(seq, ?1, ?2, ?3, ?4, ?5, ?6, prev) FROM (SELECT "
            "COALESCE(MAX(seq), 0) + 1 AS seq, COALESCE((SELECT mac FROM audit_events "
            "ORDER BY seq DESC LIMIT 1), ?7) AS prev FROM audit_events)",
            (when, actor, action, case_id, subject, body, GENESIS),
        )
        return int(cursor.lastrowid or 0)

    def _sql_mac(
        self,
        seq: int,
        at: str,
        actor: str,
        action: str,
        case_id: str | None,
        subject: str | None,
        details: str,
        prev: str,
    ) -> str:
        return self._mac(prev, _canonical(seq, at, actor, action, case_id, subject, details))

    async def install(self, db: Database) -> None:
        """Give the writer connection the MAC function `append` uses."""
        await db.define_function("relay_audit_mac", 8, self._sql_mac)

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
