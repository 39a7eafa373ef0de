"""Items: writing, revising, and the practitioner's decisions.

Every decision names the version it was made on; any other version answers 409, so two
practitioners deciding at once cannot both win (the writer lock serialises them, and the
second sees a new version).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TypeVar

from moderation import Finding
from moderation import redaction as redact
from relay.domain import delivery
from relay.domain.access import case_for, item_for_party, item_for_staff, party_only, staff_only
from relay.domain.actors import Actor, Party, Staff
from relay.domain.errors import Conflict, Invalid, NotFound
from relay.domain.hub import Relay, new_id, stamp
from relay.domain.lifecycle import item_move
from relay.domain.participants import vault_values
from relay.domain.states import AWAITING_DECISION, ItemState
from relay.storage import items, participants
from relay.storage.cases import Case
from relay.storage.items import Item
from relay.storage.participants import Participant
from relay.storage.tx import Tx

_T = TypeVar("_T")

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


@dataclass(frozen=True, slots=True)
class _Prescan:
    known: list[str]
    findings: list[dict[str, object]]


class _VaultChanged(Exception):
    """The case's contact details changed between the scan and the write: scan again."""


async def _prescan(
    relay: Relay, case_id: str, text: str, check: Callable[[Tx], None] | None = None
) -> _Prescan:
    """Scan *before* the write transaction.

    A scan costs milliseconds of CPU (tens for a long letter) in the scanner pool; it can never
    run inside a transaction (transactions are plain functions), so the write checks that the
    vault it was scanned against is still the case's, and the scan is done again if not.
    `check` runs in the same read first (so no one gets a scan for nothing).
    """

    def read(tx: Tx) -> list[str]:
        if check is not None:
            check(tx)
        return vault_values(tx, case_id)

    known = await relay.store.read(read)
    return _Prescan(known, findings_json(await relay.scanner.scan(text, known)))


async def _scanned_write(
    relay: Relay,
    case_id: str,
    text: str,
    work: Callable[[Tx, _Prescan], _T],
    check: Callable[[Tx], None] | None = None,
) -> _T:
    """Run `work` in a write transaction with findings from a scan against the current vault."""
    for _ in range(3):
        prescan = await _prescan(relay, case_id, text, check)

        def checked(tx: Tx, pre: _Prescan = prescan) -> _T:
            if vault_values(tx, case_id) != pre.known:
                raise _VaultChanged()
            return work(tx, pre)

        try:
            return await relay.store.write(checked)
        except _VaultChanged:
            continue
    raise Conflict("The case's contact details keep changing; try again in a moment.")


def _author(tx: Tx, actor: Actor, case_id: str, on_behalf_of: str | None) -> Participant:
    if isinstance(actor, Staff):
        author = participants.get(tx, on_behalf_of or "")
        if author is None or author.case_id != case_id:
            raise Invalid("on_behalf_of is not a participant of this case.")
        return author
    author = participants.get(tx, actor.id)
    assert author is not None
    return author


def _correspondents(
    tx: Tx, actor: Actor, case_id: str, on_behalf_of: str | None
) -> tuple[Participant, str]:
    """Who a new item is from and to, while the case is open."""
    if case_for(tx, actor, case_id).ended:
        raise Conflict("This process has ended; nothing more can be sent.")
    author = _author(tx, actor, case_id, on_behalf_of)
    recipient_id = items.other_principal(tx, case_id, author.principal_id)
    if recipient_id is None:
        raise Conflict("There is no one on the other side of this case to write to yet.")
    return author, recipient_id


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
        target_case = party_only(actor).case_id

    def still_open(tx: Tx) -> None:  # checked again in the write
        if case_for(tx, actor, target_case).ended:
            raise Conflict("This process has ended; nothing more can be sent.")

    def write(tx: Tx, pre: _Prescan) -> str:
        return _insert(relay, tx, actor, target_case, on_behalf_of, kind, body, pre)

    item_id = await _scanned_write(relay, target_case, body, write, still_open)
    return {"id": item_id, "state": ItemState.PENDING, "version": 1}


def _insert(
    relay: Relay,
    tx: Tx,
    actor: Actor,
    case_id: str,
    on_behalf_of: str | None,
    kind: str,
    body: str,
    pre: _Prescan,
) -> str:
    """A new item, pending at version 1, in the caller's write; its id."""
    author, recipient_id = _correspondents(tx, actor, case_id, on_behalf_of)
    item_id = new_id("itm")
    now = stamp(relay.now())
    items.insert(
        tx,
        {
            "id": item_id,
            "case_id": case_id,
            "kind": kind,
            "author_id": author.id,
            "author_role": author.role,
            "sender_id": author.principal_id,
            "recipient_id": recipient_id,
            "entered_by": actor.id if isinstance(actor, Staff) else None,
            "state": ItemState.PENDING,
            "version": 1,
            "original": body,
            "body": body,
            "findings": pre.findings,
            "dismissed": {},
            "created_at": now,
            "waiting_since": now,
            "updated_at": now,
        },
    )
    relay.audit.append(
        tx,
        at=relay.now(),
        actor=actor.label,
        action="item.written",
        case_id=case_id,
        subject=item_id,
        kind=kind,
        author_role=author.role,
        version=1,
        findings=len(pre.findings),
    )
    return item_id


async def revise_item(
    relay: Relay,
    actor: Actor,
    item_id: str,
    body: str,
    *,
    also: Callable[[Tx], object] | None = None,
) -> dict[str, object]:
    """The author revises a letter returned to them. `also`, if given, runs in the same write
    transaction once the revision is made (e.g. attaching a file), so both land or neither."""
    party = party_only(actor)
    if not body.strip():
        raise Invalid("The letter is empty.", field="body")

    def revise(tx: Tx, pre: _Prescan) -> int:
        version = _revise(relay, tx, party, item_id, body, pre)
        if also is not None:
            also(tx)
        return version

    version = await _scanned_write(relay, party.case_id, body, revise)
    return {"id": item_id, "state": ItemState.PENDING, "version": version}


def _revise(relay: Relay, tx: Tx, party: Party, item_id: str, body: str, pre: _Prescan) -> int:
    """The returned item back to pending with the new text, in the caller's write; its version."""
    item, relation = item_for_party(tx, party, item_id)
    if relation != "sent" or item.author_id != party.id:
        raise NotFound()
    if case_for(tx, party, item.case_id).ended:
        raise Conflict("This process has ended; nothing more can be sent.")
    state = item_move(item.state, ItemState.PENDING)  # only a returned letter
    version = item.version + 1
    now = stamp(relay.now())
    items.update(
        tx,
        item,
        {
            "state": state,
            "version": version,
            "original": body,
            "body": body,
            "findings": pre.findings,
            "dismissed": {},
            "waiting_since": now,
            "updated_at": now,
        },
    )
    relay.audit.append(
        tx,
        at=relay.now(),
        actor=party.label,
        action="item.revised",
        case_id=item.case_id,
        subject=item_id,
        version=version,
    )
    return version


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
