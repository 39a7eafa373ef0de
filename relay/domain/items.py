"""Items: writing and revising letters and messages (decisions are in decisions.py)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TypeVar

from moderation import Finding
from relay.domain.access import case_for, item_for_party, party_only
from relay.domain.actors import Actor, Party, Staff
from relay.domain.errors import Conflict, Invalid, NotFound
from relay.domain.hub import Relay, new_id, stamp
from relay.domain.lifecycle import item_move
from relay.domain.participants import vault_values
from relay.domain.states import ItemState
from relay.storage import items, participants
from relay.storage.participants import Participant
from relay.storage.tx import Tx

_T = TypeVar("_T")

MAX_TEXT = 20_000
MAX_NOTE = 2_000
MAX_CONTENT_NOTE = 500


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
