"""Letter attachments: scans and photos of a letter, moderated together with their item.

Who may attach: the participant who wrote the item, or — for a paper letter — a practitioner
with access to the case; only while the item is `pending` or `returned` and the case has not
ended. Adding or removing an attachment raises the item's version, so a decision made on what
a practitioner saw before cannot approve a file they have not seen (409 stale version).

Who may read: practitioners with access to the case (every read audited, DPA 2018 s.62); the
author's side, as for the item's text; the recipient's side only once the item is delivered
and opened. Halted items are never delivered, so their files never reach the recipient.

Files are cleaned (type from content, re-encoded without metadata) before anything is stored,
and before the write transaction starts (cleaning is slow CPU work); only the cleaned bytes
are kept, encrypted under the case's data key (by relay/storage/attachments.py).
"""

from __future__ import annotations

import asyncio
import functools
from collections.abc import Iterable, MutableMapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

from relay.domain import items as item_cases
from relay.domain.access import case_for, item_for_party, item_for_staff, party_only
from relay.domain.actors import Actor, Staff
from relay.domain.errors import Conflict, Invalid, NotFound, TooLarge
from relay.domain.hub import Relay, new_id, stamp
from relay.domain.states import ItemState, RecipientState
from relay.media.cleaning import AttachmentRejected, CleanedAttachment, clean_attachment
from relay.storage import attachments as stored
from relay.storage import items
from relay.storage.attachments import Attachment
from relay.storage.items import Item
from relay.storage.tx import Tx

MAX_BYTES = 10 * 1024 * 1024
MAX_PER_ITEM = 10
EDITABLE = frozenset({ItemState.PENDING, ItemState.RETURNED})  # before a decision, or sent back
EXTENSIONS = {"image/jpeg": "jpg", "image/png": "png", "application/pdf": "pdf"}
# Cleaning decodes whole images (up to 40 megapixels, ~120 MB of pixels): a small pool keeps it
# off the event loop and bounds how many run at once.
_CLEANERS = ThreadPoolExecutor(max_workers=2, thread_name_prefix="relay-attachment")


@dataclass(frozen=True, slots=True)
class AttachmentFile:
    """A stored attachment, opened, with the neutral name it is served under."""

    data: bytes = field(repr=False)
    media_type: str
    filename: str


def too_large() -> TooLarge:
    return TooLarge(
        f"The file is larger than {MAX_BYTES // (1024 * 1024)} MB. Please send a smaller scan "
        "or photo, for example at a lower resolution."
    )


def writable_item(tx: Tx, actor: Actor, item_id: str) -> Item:
    """The item, if `actor` may add or remove its attachments now; 404/409 otherwise."""
    if isinstance(actor, Staff):
        item = item_for_staff(tx, actor, item_id)
        if item.entered_by is None:
            raise Conflict(
                "Practitioners attach scans only to paper letters they entered; the author of "
                "this item attaches their own files."
            )
    else:
        item, relation = item_for_party(tx, actor, item_id)
        if relation != "sent" or item.author_id != actor.id or item.entered_by is not None:
            raise NotFound()
    if case_for(tx, actor, item.case_id).ended:
        raise Conflict("This process has ended; nothing more can be sent.")
    if item.state not in EDITABLE:
        raise Conflict(
            "Files can be added or removed only before the letter is decided, or after it was "
            "returned for changes."
        )
    return item


async def clean(data: bytes) -> CleanedAttachment:
    """The file cleaned in the cleaners' pool (never inside a transaction); 413/422 if refused."""
    if len(data) > MAX_BYTES:
        raise too_large()
    loop = asyncio.get_running_loop()
    work = functools.partial(clean_attachment, data, max_bytes=MAX_BYTES)
    try:
        return await loop.run_in_executor(_CLEANERS, work)
    except AttachmentRejected as exc:
        raise Invalid(str(exc), field="file") from exc


def _raise_version(relay: Relay, tx: Tx, item: Item) -> int:
    version = item.version + 1
    items.update(tx, item, {"version": version, "updated_at": stamp(relay.now())})
    return version


def attach_cleaned(
    relay: Relay, tx: Tx, actor: Actor, item_id: str, cleaned: CleanedAttachment
) -> dict[str, object]:
    """Store an already cleaned file on the item, in the caller's write transaction; its
    listing entry and the item's new version."""
    item = writable_item(tx, actor, item_id)
    count, last = stored.count_and_last(tx, item_id)
    if count >= MAX_PER_ITEM:
        raise Conflict(f"A letter can have at most {MAX_PER_ITEM} files attached.")
    attachment = Attachment(
        id=new_id("att"),
        item_id=item_id,
        case_id=item.case_id,
        n=last + 1,
        media_type=cleaned.media_type,
        size=len(cleaned.data),
    )
    now = relay.now()
    stored.insert(tx, attachment, cleaned.data, added_by=actor.label, created_at=stamp(now))
    version = _raise_version(relay, tx, item)
    relay.audit.append(
        tx,
        at=now,
        actor=actor.label,
        action="attachment.added",
        case_id=item.case_id,
        subject=item_id,
        attachment=attachment.id,
        n=attachment.n,
        version=version,
    )
    return {
        "item_id": item_id,
        "n": attachment.n,
        "media_type": attachment.media_type,
        "size": attachment.size,
        "version": version,
    }


async def add_attachment(
    relay: Relay, actor: Actor, item_id: str, data: bytes
) -> dict[str, object]:
    """Clean and store one file on the item; returns its listing entry and the new version."""
    await relay.store.read(lambda tx: writable_item(tx, actor, item_id))  # before the CPU work
    cleaned = await clean(data)
    return await relay.store.write(lambda tx: attach_cleaned(relay, tx, actor, item_id, cleaned))


def _own_sent_item(tx: Tx, actor: Actor, item_id: str) -> None:
    """404 unless the item is one the participant wrote (as both revising and attaching ask)."""
    party = party_only(actor)
    item, relation = item_for_party(tx, party, item_id)
    if relation != "sent" or item.author_id != party.id:
        raise NotFound()


async def revise_with_attachment(
    relay: Relay, actor: Actor, item_id: str, body: str, data: bytes
) -> dict[str, object]:
    """Revise a returned letter and attach a file to it in ONE write transaction: a
    practitioner never sees the revised text without its file, and a file that cannot be
    attached (refused, or one too many) leaves the letter unrevised.

    The file is cleaned first, outside the transaction. Returns the revision's answer with the
    item's final version and the file's listing entry under `attachment`.
    """
    party = party_only(actor)
    if not body.strip():
        raise Invalid("The letter is empty.", field="body")
    await relay.store.read(lambda tx: _own_sent_item(tx, party, item_id))  # before the CPU work
    cleaned = await clean(data)
    added: dict[str, object] = {}

    def attach(tx: Tx) -> None:
        added.update(attach_cleaned(relay, tx, party, item_id, cleaned))

    revised = await item_cases.revise_item(relay, party, item_id, body, also=attach)
    return {**revised, "version": added["version"], "attachment": added}


async def remove_attachment(relay: Relay, actor: Actor, item_id: str, n: int) -> dict[str, object]:
    """Take a file off an item that is still editable (e.g. after a practitioner returned it)."""

    def remove(tx: Tx) -> dict[str, object]:
        item = writable_item(tx, actor, item_id)
        attachment = stored.find(tx, item_id, n)
        if attachment is None:
            raise NotFound()
        stored.delete(tx, attachment.id)
        version = _raise_version(relay, tx, item)
        relay.audit.append(
            tx,
            at=relay.now(),
            actor=actor.label,
            action="attachment.removed",
            case_id=item.case_id,
            subject=item_id,
            attachment=attachment.id,
            n=n,
            version=version,
        )
        return {"item_id": item_id, "n": n, "version": version}

    return await relay.store.write(remove)


def _readable_item(tx: Tx, actor: Actor, item_id: str) -> Item:
    if isinstance(actor, Staff):
        return item_for_staff(tx, actor, item_id)
    item, relation = item_for_party(tx, actor, item_id)
    if relation == "received" and item.recipient_state != RecipientState.OPENED:
        if item.recipient_state == RecipientState.DECLINED:
            raise Conflict("You chose not to receive this letter.")
        raise Conflict("Open the letter first to see the files attached to it.")
    return item


async def read_attachment(relay: Relay, actor: Actor, item_id: str, n: int) -> AttachmentFile:
    """One file, opened, for someone who may see it; every read is audited (ids only)."""

    def read(tx: Tx) -> AttachmentFile:
        item = _readable_item(tx, actor, item_id)
        found = stored.opened(tx, item.case_id, item_id, n)  # 409 once shredded
        if found is None:
            raise NotFound()
        attachment, data = found
        relay.audit.append(
            tx,
            at=relay.now(),
            actor=actor.label,
            action="attachment.read",
            case_id=item.case_id,
            subject=item_id,
            attachment=attachment.id,
            n=n,
        )
        media_type = attachment.media_type
        return AttachmentFile(data, media_type, f"attachment-{n}.{EXTENSIONS[media_type]}")

    return await relay.store.write(read)


def listings(tx: Tx, item_ids: Iterable[str]) -> dict[str, list[dict[str, object]]]:
    """`{item id: [{n, media_type, size}, ...]}` for the given items (no content is opened)."""
    found = stored.listings(tx, list(item_ids))
    return {
        item_id: [{"n": f.n, "media_type": f.media_type, "size": f.size} for f in files]
        for item_id, files in found.items()
    }


def add_listings(
    tx: Tx,
    views: Sequence[MutableMapping[str, object]],
    *,
    only_opened: bool = False,
) -> None:
    """Add `attachments` to item views; with `only_opened`, only to views the reader opened.

    A recipient learns what is attached (count, types, sizes) only once they open the letter,
    like its text.
    """
    shown = [v for v in views if not only_opened or v.get("state") == "opened"]
    found = listings(tx, (str(v["id"]) for v in shown))
    for view in shown:
        view["attachments"] = found.get(str(view["id"]), [])
