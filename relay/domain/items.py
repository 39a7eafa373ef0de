"""Items: writing, revising, and the practitioner's decisions.

Every decision names the version it was made on; any other version answers 409, so two
practitioners deciding at once cannot both win (the writer lock serialises them, and the
second sees a new version).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from moderation import Finding
from moderation import redaction as redact
from relay.crypto import CaseCipher
from relay.domain import delivery
from relay.domain.access import TERMINAL, case_row, item_for_party, item_for_staff, party_only
from relay.domain.actors import Actor, Staff
from relay.domain.errors import Conflict, Invalid, NotFound
from relay.domain.hub import Relay, new_id, stamp
from relay.domain.participants import vault_values
from relay.storage import Connection, Row, fetch_all

MAX_TEXT = 20_000
MAX_NOTE = 2_000
MAX_CONTENT_NOTE = 500


@dataclass(frozen=True, slots=True)
class Decision:
    action: str  # approve | redact | return | reject | countersign
    version: int
    redactions: Sequence[redact.Span] = ()
    dismissed: dict[str, str] | None = None  # finding id -> reason
    note: str | None = None
    content_note: str | None = None


def findings_json(findings: Sequence[Finding]) -> list[dict[str, object]]:
    return [
        {"id": f"f{n}", "start": f.start, "end": f.end, "kind": f.kind}
        for n, f in enumerate(findings, start=1)
    ]


def _seal(cipher: CaseCipher, item_id: str, field: str, value: str) -> bytes:
    return cipher.seal("items", item_id, field, value)


@dataclass(frozen=True, slots=True)
class _Prescan:
    known: list[str]
    findings: bytes


async def _prescan(relay: Relay, case_id: str, text: str) -> _Prescan:
    """Scan *before* taking the writer lock.

    A scan costs milliseconds of CPU (tens for a long letter) in the scanner pool; holding the
    hub's single writer lock through it would queue every other write behind one letter.
    """
    known = await vault_values(relay, relay.db.reader, case_id)
    findings = findings_json(await relay.scanner.scan(text, known))
    return _Prescan(known, json.dumps(findings).encode())


async def _scan(relay: Relay, conn: Connection, case_id: str, text: str, pre: _Prescan) -> bytes:
    """The prescan's findings, unless the case's vault changed meanwhile (then scan again)."""
    known = await vault_values(relay, conn, case_id)
    if known == pre.known:
        return pre.findings
    return json.dumps(findings_json(await relay.scanner.scan(text, known))).encode()


async def _other_principal(conn: Connection, case_id: str, principal_id: str) -> str:
    rows = await fetch_all(
        conn,
        "SELECT id FROM participants WHERE case_id = ? AND role IN ('harmed', 'responsible') "
        "AND id != ?",
        (case_id, principal_id),
    )
    if not rows:
        raise Conflict("There is no one on the other side of this case to write to yet.")
    return rows[0][0]


async def write_item(
    relay: Relay,
    actor: Actor,
    *,
    kind: str,
    body: str,
    case_id: str | None = None,
    on_behalf_of: str | None = None,
) -> dict[str, object]:
    """A participant writes, or a practitioner enters a paper letter on someone's behalf."""
    if not body.strip():
        raise Invalid("The letter is empty.", field="body")
    if isinstance(actor, Staff):
        if case_id is None or on_behalf_of is None:
            raise Invalid("A paper letter needs the case and the participant it is from.")
        target_case = case_id
    else:
        party = party_only(actor)
        target_case = party.case_id
    # Checked again in the transaction; checked here so that no one gets a scan for nothing.
    if (await case_row(relay.db.reader, actor, target_case))["status"] in TERMINAL:
        raise Conflict("This process has ended; nothing more can be sent.")
    prescan = await _prescan(relay, target_case, body)
    async with relay.db.write() as conn:
        case = await case_row(conn, actor, target_case)
        if case["status"] in TERMINAL:
            raise Conflict("This process has ended; nothing more can be sent.")
        if isinstance(actor, Staff):
            rows = await fetch_all(
                conn,
                "SELECT id, role, supports FROM participants WHERE id = ? AND case_id = ?",
                (on_behalf_of, target_case),
            )
            if not rows:
                raise Invalid("on_behalf_of is not a participant of this case.")
            author_id, author_role, supports = rows[0]
        else:
            author_id, author_role, supports = party.id, party.role, party.supports
        sender_id = supports or author_id
        recipient_id = await _other_principal(conn, target_case, sender_id)
        cipher = await relay.cipher(conn, target_case)
        item_id = new_id("itm")
        findings = await _scan(relay, conn, target_case, body, prescan)
        seq_rows = await fetch_all(conn, "SELECT COALESCE(MAX(seq), 0) + 1 FROM items")
        now = stamp(relay.now())
        await conn.execute(
            "INSERT INTO items (id, seq, case_id, kind, author_id, author_role, sender_id, "
            "recipient_id, entered_by, state, version, original, body, findings, dismissed, "
            "created_at, waiting_since, updated_at) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 'pending', 1, ?, ?, ?, ?, ?, ?, ?)",
            (
                item_id,
                seq_rows[0][0],
                target_case,
                kind,
                author_id,
                author_role,
                sender_id,
                recipient_id,
                actor.id if isinstance(actor, Staff) else None,
                _seal(cipher, item_id, "original", body),
                _seal(cipher, item_id, "body", body),
                _seal(cipher, item_id, "findings", findings.decode()),
                _seal(cipher, item_id, "dismissed", "{}"),
                now,
                now,
                now,
            ),
        )
        await relay.audit.append(
            conn,
            at=relay.now(),
            actor=actor.label,
            action="item.written",
            case_id=target_case,
            subject=item_id,
            kind=kind,
            author_role=author_role,
            version=1,
            findings=len(json.loads(findings)),
        )
    return {"id": item_id, "state": "pending", "version": 1}


async def revise_item(relay: Relay, actor: Actor, item_id: str, body: str) -> dict[str, object]:
    party = party_only(actor)
    if not body.strip():
        raise Invalid("The letter is empty.", field="body")
    prescan = await _prescan(relay, party.case_id, body)
    async with relay.db.write() as conn:
        item, relation = await item_for_party(conn, party, item_id)
        if relation != "sent" or item["author_id"] != party.id:
            raise NotFound()
        case = await case_row(conn, party, item["case_id"])
        if case["status"] in TERMINAL:
            raise Conflict("This process has ended; nothing more can be sent.")
        if item["state"] != "returned":
            raise Conflict("Only a letter returned to you for changes can be revised.")
        cipher = await relay.cipher(conn, item["case_id"])
        findings = await _scan(relay, conn, item["case_id"], body, prescan)
        version = item["version"] + 1
        now = stamp(relay.now())
        await conn.execute(
            "UPDATE items SET state = 'pending', version = ?, original = ?, body = ?, "
            "findings = ?, dismissed = ?, waiting_since = ?, updated_at = ? WHERE id = ?",
            (
                version,
                _seal(cipher, item_id, "original", body),
                _seal(cipher, item_id, "body", body),
                _seal(cipher, item_id, "findings", findings.decode()),
                _seal(cipher, item_id, "dismissed", "{}"),
                now,
                now,
                item_id,
            ),
        )
        await relay.audit.append(
            conn,
            at=relay.now(),
            actor=party.label,
            action="item.revised",
            case_id=item["case_id"],
            subject=item_id,
            version=version,
        )
    return {"id": item_id, "state": "pending", "version": version}


def _claim_holder(item: Row, now: datetime) -> str | None:
    if item["claimed_by"] is None or item["claimed_until"] is None:
        return None
    return item["claimed_by"] if datetime.fromisoformat(item["claimed_until"]) > now else None


def _unresolved(
    findings: list[dict[str, object]], dismissed: dict[str, str], spans: Sequence[redact.Span]
) -> list[str]:
    open_ids = []
    for f in findings:
        fid = str(f["id"])
        start, end = int(f["start"]), int(f["end"])  # type: ignore[call-overload]
        if fid in dismissed or any(span.covers(start, end) for span in spans):
            continue
        open_ids.append(fid)
    return open_ids


async def decide(relay: Relay, actor: Actor, item_id: str, decision: Decision) -> dict[str, object]:
    async with relay.db.write() as conn:
        item = await item_for_staff(conn, actor, item_id)
        staff = actor
        assert isinstance(staff, Staff)
        if decision.version != item["version"]:
            raise Conflict(
                f"This item has changed (it is now version {item['version']}); reload it.",
                current_version=item["version"],
            )
        now = relay.now()
        holder = _claim_holder(item, now)
        takeover = holder is not None and holder != staff.id
        if takeover and not staff.is_specialist:
            raise Conflict("Another practitioner is working on this item.", claimed=True)
        case = await case_row(conn, staff, item["case_id"])
        cipher = await relay.cipher(conn, item["case_id"])
        new_state, sets = _next_state(item, case, staff, decision)
        updates: dict[str, object] = dict(sets)
        if decision.action in ("approve", "redact"):
            text = cipher.open("items", item_id, "body", item["body"])
            findings = json.loads(cipher.open("items", item_id, "findings", item["findings"]))
            dismissed = json.loads(cipher.open("items", item_id, "dismissed", item["dismissed"]))
            known_ids = {f["id"] for f in findings}
            for fid in decision.dismissed or {}:
                if fid not in known_ids:
                    raise Invalid(f"There is no finding {fid!r} on this item.")
            dismissed.update(decision.dismissed or {})
            try:
                spans = redact.validate(text, decision.redactions)
            except redact.RedactionError as exc:
                raise Invalid(str(exc), field="redactions") from exc
            unresolved = _unresolved(findings, dismissed, spans)
            if unresolved:
                raise Conflict(
                    "Some findings are neither redacted nor dismissed with a reason.",
                    unresolved=unresolved,
                )
            updates["dismissed"] = _seal(cipher, item_id, "dismissed", json.dumps(dismissed))
            if spans:
                updates["body"] = _seal(cipher, item_id, "body", redact.apply(text, spans))
                updates["findings"] = _seal(cipher, item_id, "findings", "[]")
            if decision.content_note is not None:
                updates["content_note"] = _seal(
                    cipher, item_id, "content_note", decision.content_note
                )
        if decision.note is not None:
            updates["note"] = _seal(cipher, item_id, "note", decision.note)
        version = item["version"] + 1
        updates.update(
            state=new_state,
            version=version,
            updated_at=stamp(now),
            claimed_by=None,
            claimed_until=None,
        )
        deliver = False
        if new_state == "approved":
            updates["approved_at"] = stamp(now)
            deliver = await delivery.deliverable_now(relay, conn, case, item["recipient_id"])
            if deliver:
                # Anything approved before it and held (a window that has just opened) goes
                # first, as the periodic release would have sent it; then this one, delivered
                # by the same UPDATE that approves it.
                await delivery.release(relay, conn, item["case_id"])
                updates.update(delivery.delivered_columns(now))
        columns = ", ".join(f"{name} = ?" for name in updates)
        await conn.execute(
            f"UPDATE items SET {columns} WHERE id = ?",  # noqa: S608 - names are our own
            (*updates.values(), item_id),
        )
        await relay.audit.append(
            conn,
            at=now,
            actor=staff.label,
            action=f"item.{decision.action}",
            case_id=item["case_id"],
            subject=item_id,
            version=version,
            state=new_state,
            redactions=len(decision.redactions),
            dismissed=sorted(decision.dismissed or {}),
            takeover_from=holder if takeover else None,
        )
        if deliver:
            await delivery.delivered_notice(
                relay, conn, item["case_id"], item_id, item["recipient_id"]
            )
            new_state = "delivered"
    return {"id": item_id, "state": new_state, "version": version}


def _next_state(
    item: Row, case: Row, staff: Staff, decision: Decision
) -> tuple[str, dict[str, object]]:
    state, action = item["state"], decision.action
    if case["status"] in TERMINAL or state == "halted":
        raise Conflict("This process has ended; the item can no longer be decided.")
    if action == "countersign":
        if state != "countersign":
            raise Conflict("This item is not awaiting a countersignature.")
        if not staff.is_specialist:
            raise Conflict("Only an RJ specialist can countersign.")
        return "approved", {}
    if action in ("return", "reject"):
        if state not in ("pending", "countersign"):
            raise Conflict(f"An item that is {state} cannot be {action}ed.")
        if not (decision.note or "").strip():
            raise Invalid(f"A {action} needs a note to the author.", field="note")
        return ("returned" if action == "return" else "rejected"), {}
    if state != "pending":
        raise Conflict(f"An item that is {state} cannot be approved.")
    if action == "redact" and not decision.redactions:
        raise Invalid("A redaction needs at least one span.", field="redactions")
    if action == "approve" and decision.redactions:
        raise Invalid("Use the action 'redact' to approve with redactions.", field="redactions")
    needs_countersign = case["risk_level"] == "high" and not staff.is_specialist
    return ("countersign" if needs_countersign else "approved"), {}


async def claim(relay: Relay, actor: Actor, item_id: str, hold: bool) -> dict[str, object]:
    """Claim an item while reading it (or let it go); a specialist may take a claim over."""
    async with relay.db.write() as conn:
        item = await item_for_staff(conn, actor, item_id)
        assert isinstance(actor, Staff)
        now = relay.now()
        holder = _claim_holder(item, now)
        if holder is not None and holder != actor.id and not actor.is_specialist:
            raise Conflict("Another practitioner is working on this item.", claimed=True)
        if hold and item["state"] not in ("pending", "countersign"):
            raise Conflict(f"An item that is {item['state']} is not awaiting a decision.")
        until = stamp(now + timedelta(seconds=relay.config.claim_seconds)) if hold else None
        await conn.execute(
            "UPDATE items SET claimed_by = ?, claimed_until = ? WHERE id = ?",
            (actor.id if hold else None, until, item_id),
        )
        await relay.audit.append(
            conn,
            at=now,
            actor=actor.label,
            action="item.claimed" if hold else "item.unclaimed",
            case_id=item["case_id"],
            subject=item_id,
            takeover_from=holder if holder not in (None, actor.id) else None,
        )
    return {"id": item_id, "claimed_by": actor.username if hold else None, "claimed_until": until}
