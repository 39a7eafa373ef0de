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

from relay.audit.anchor import Anchor
from relay.storage import audit as stored
from relay.storage.tx import Tx

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

    def append(
        self,
        tx: Tx,
        *,
        at: datetime,
        actor: str,
        action: str,
        case_id: str | None = None,
        subject: str | None = None,
        **details: object,
    ) -> int:
        """Append one event; call inside the write transaction of the change it records.

        Writes are serialised (one writer thread; on PostgreSQL, the writers' advisory lock
        across processes), so nothing can append between reading the chain's end and inserting
        after it: the chain cannot fork.
        """
        when = at.isoformat(timespec="microseconds")
        body = json.dumps(details, separators=(",", ":"), sort_keys=True)
        last = stored.head(tx)
        seq, prev = (last[0] + 1, last[1]) if last is not None else (1, GENESIS)
        mac = self._mac(prev, _canonical(seq, when, actor, action, case_id, subject, body))
        stored.insert(
            tx, stored.StoredEvent(seq, when, actor, action, case_id, subject, body, prev, mac)
        )
        return seq

    def verify(self, tx: Tx, anchor: Anchor | None = None) -> VerifyResult:
        """Recompute the chain from the first event; name the first one that does not hold.

        With an `anchor` (keys/audit.anchor), the event it names must still be there, unchanged:
        that is what shows the newest events were not cut off.
        """
        prev = GENESIS
        expected_seq = 1
        checked = 0
        anchored_mac: str | None = None
        for event in stored.every(tx):
            seq = event.seq
            if seq != expected_seq:
                return VerifyResult(False, checked, expected_seq, "event is missing")
            if event.prev_mac != prev:
                return VerifyResult(False, checked, seq, "link to the previous event broken")
            payload = _canonical(
                seq,
                event.at,
                event.actor,
                event.action,
                event.case_id,
                event.subject,
                event.details,
            )
            if not hmac.compare_digest(self._mac(prev, payload), event.mac):
                return VerifyResult(False, checked, seq, "event was altered")
            prev = event.mac
            if anchor is not None and seq == anchor.seq:
                anchored_mac = event.mac
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
    def events(
        tx: Tx, *, case_id: str | None = None, subject: str | None = None
    ) -> list[AuditEvent]:
        return [
            AuditEvent(e.seq, e.at, e.actor, e.action, e.case_id, e.subject, json.loads(e.details))
            for e in stored.of(tx, case_id=case_id, subject=subject)
        ]
