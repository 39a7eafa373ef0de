"""The practitioner's decisions on an item, and claims while reading it.

Every decision names the version it was made on; any other version answers 409, so two
practitioners deciding at once cannot both win (writes are serialised, and the second sees a
new version).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from moderation import redaction as redact
from relay.domain import delivery
from relay.domain.access import case_for, item_for_staff, staff_only
from relay.domain.actors import Actor, Staff
from relay.domain.errors import Conflict, Invalid
from relay.domain.hub import Relay, stamp
from relay.domain.lifecycle import item_move
from relay.domain.states import AWAITING_DECISION, ItemState
from relay.storage import items
from relay.storage.cases import Case
from relay.storage.items import Item
from relay.storage.tx import Tx


@dataclass(frozen=True, slots=True)
class Decision:
    action: str  # approve | redact | return | reject | countersign
    version: int
    redactions: Sequence[redact.Span] = ()
    dismissed: dict[str, str] | None = None  # finding id -> reason
    note: str | None = None
    content_note: str | None = None


def _claim_holder(item: Item, now: datetime) -> str | None:
    if item.claimed_by is None or item.claimed_until is None:
        return None
    return item.claimed_by if datetime.fromisoformat(item.claimed_until) > now else None


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


def _approval_changes(tx: Tx, item: Item, decision: Decision) -> dict[str, object]:
    """What an approve or redact sets on the item, once every finding is resolved."""
    content = items.content(tx, item)
    known_ids = {f["id"] for f in content.findings}
    for fid, reason in (decision.dismissed or {}).items():
        if fid not in known_ids:
            raise Invalid(f"There is no finding {fid!r} on this item.")
        if not reason.strip():  # the rule itself, whichever edge the decision came through
            raise Invalid(f"Say why finding {fid!r} is dismissed.", field="dismissed")
    dismissed = {**content.dismissed, **(decision.dismissed or {})}
    try:
        spans = redact.validate(content.body, decision.redactions)
    except redact.RedactionError as exc:
        raise Invalid(str(exc), field="redactions") from exc
    unresolved = _unresolved(content.findings, dismissed, spans)
    if unresolved:
        raise Conflict(
            "Some findings are neither redacted nor dismissed with a reason.",
            unresolved=unresolved,
        )
    changes: dict[str, object] = {"dismissed": dismissed}
    if spans:
        changes["body"] = redact.apply(content.body, spans)
        changes["findings"] = []
    if decision.content_note is not None:
        changes["content_note"] = decision.content_note
    return changes


async def decide(relay: Relay, actor: Actor, item_id: str, decision: Decision) -> dict[str, object]:
    staff = staff_only(actor)
    return await relay.store.write(lambda tx: _decide(relay, tx, staff, item_id, decision))


def _decide(
    relay: Relay, tx: Tx, staff: Staff, item_id: str, decision: Decision
) -> dict[str, object]:
    item = item_for_staff(tx, staff, item_id)
    if decision.version != item.version:
        raise Conflict(
            f"This item has changed (it is now version {item.version}); reload it.",
            current_version=item.version,
        )
    now = relay.now()
    holder = _claim_holder(item, now)
    takeover = holder is not None and holder != staff.id
    if takeover and not staff.is_specialist:
        raise Conflict("Another practitioner is working on this item.", claimed=True)
    case = case_for(tx, staff, item.case_id)
    new_state = _next_state(item, case, staff, decision)
    version = item.version + 1  # every decision raises it (DESIGN), countersign included
    changes = _decision_changes(tx, item, decision, new_state, version, now)
    deliver = new_state == ItemState.APPROVED and delivery.deliverable_now(
        relay, tx, case, item.recipient_id
    )
    if deliver:
        # Anything approved before it and held (a window that has just opened) goes first, as
        # the periodic release would have sent it; then this one, delivered by the same UPDATE
        # that approves it.
        delivery.release(relay, tx, item.case_id)
        changes.update(delivery.delivered_columns(new_state, now))
    items.update(tx, item, changes)
    relay.audit.append(
        tx,
        at=now,
        actor=staff.label,
        action=f"item.{decision.action}",
        case_id=item.case_id,
        subject=item_id,
        version=version,
        state=new_state,
        redactions=len(decision.redactions),
        dismissed=sorted(decision.dismissed or {}),
        takeover_from=holder if takeover else None,
    )
    if deliver:
        delivery.delivered_notice(relay, tx, item.case_id, item_id, item.recipient_id)
        new_state = ItemState.DELIVERED
    return {"id": item_id, "state": new_state, "version": version}


def _decision_changes(
    tx: Tx, item: Item, decision: Decision, new_state: ItemState, version: int, now: datetime
) -> dict[str, object]:
    """What a decision sets on the item: its state and version, the note, what an approval
    sets; the claim ends with it."""
    changes: dict[str, object] = {}
    if decision.action in ("approve", "redact"):
        changes = _approval_changes(tx, item, decision)
    if decision.note is not None:
        changes["note"] = decision.note
    changes.update(
        state=new_state,
        version=version,
        updated_at=stamp(now),
        claimed_by=None,
        claimed_until=None,
    )
    if new_state == ItemState.APPROVED:
        changes["approved_at"] = stamp(now)
    return changes


def _next_state(item: Item, case: Case, staff: Staff, decision: Decision) -> ItemState:
    """The state `decision` moves the item to, through the item's transition table."""
    state, action = item.state, decision.action
    if case.ended or state == ItemState.HALTED:
        raise Conflict("This process has ended; the item can no longer be decided.")
    if action == "countersign":
        if state != ItemState.COUNTERSIGN:
            raise Conflict("This item is not awaiting a countersignature.")
        if not staff.is_specialist:
            raise Conflict("Only an RJ specialist can countersign.")
        return item_move(state, ItemState.APPROVED)
    if action in ("return", "reject"):
        target = item_move(state, ItemState.RETURNED if action == "return" else ItemState.REJECTED)
        if not (decision.note or "").strip():
            raise Invalid(f"A {action} needs a note to the author.", field="note")
        return target
    # Approve and redact decide a pending item; one awaiting countersign is confirmed by
    # 'countersign', which cannot change its text.
    if state != ItemState.PENDING:
        raise Conflict(f"An item that is {state} cannot be approved.")
    if action == "redact" and not decision.redactions:
        raise Invalid("A redaction needs at least one span.", field="redactions")
    if action == "approve" and decision.redactions:
        raise Invalid("Use the action 'redact' to approve with redactions.", field="redactions")
    needs_countersign = case.risk_level == "high" and not staff.is_specialist
    return item_move(state, ItemState.COUNTERSIGN if needs_countersign else ItemState.APPROVED)


async def claim(relay: Relay, actor: Actor, item_id: str, hold: bool) -> dict[str, object]:
    """Claim an item while reading it (or let it go); a specialist may take a claim over."""
    staff = staff_only(actor)

    def work(tx: Tx) -> dict[str, object]:
        item = item_for_staff(tx, staff, item_id)
        now = relay.now()
        holder = _claim_holder(item, now)
        if holder is not None and holder != staff.id and not staff.is_specialist:
            raise Conflict("Another practitioner is working on this item.", claimed=True)
        if hold and item.state not in AWAITING_DECISION:
            raise Conflict(f"An item that is {item.state} is not awaiting a decision.")
        until = stamp(now + timedelta(seconds=relay.config.claim_seconds)) if hold else None
        items.update(tx, item, {"claimed_by": staff.id if hold else None, "claimed_until": until})
        relay.audit.append(
            tx,
            at=now,
            actor=staff.label,
            action="item.claimed" if hold else "item.unclaimed",
            case_id=item.case_id,
            subject=item_id,
            takeover_from=holder if holder not in (None, staff.id) else None,
        )
        return {
            "id": item_id,
            "claimed_by": staff.username if hold else None,
            "claimed_until": until,
        }

    return await relay.store.write(work)
