"""Letter attachments: scans and photos of a letter, moderated together with their item.

Who may attach: the participant who wrote the item, or — for a paper letter — a practitioner
with access to the case; only while the item is `pending` or `returned` and the case has not
ended. Adding or removing an attachment raises the item's version, so a decision made on what
a practitioner saw before cannot approve a file they have not seen (409 stale version).

Who may read: practitioners with access to the case (every read audited, DPA 2018 s.62); the
author's side, as for the item's text; the recipient's side only once the item is delivered
and opened. Halted items are never delivered, so their files never reach the recipient.

Files are cleaned (type from content, re-encoded without metadata) before anything is stored;
only the cleaned bytes are kept, encrypted under the case's data key.
"""

from __future__ import annotations

import asyncio
import functools
from collections.abc import Iterable, MutableMapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

from relay.attachments import AttachmentRejected, CleanedAttachment, clean_attachment
from relay.domain.access import TERMINAL, case_row, item_for_party, item_for_staff
from relay.domain.actors import Actor, Staff
from relay.domain.errors import Conflict, Invalid, NotFound, TooLarge
from relay.domain.hub import Relay, new_id, stamp
from relay.storage import Connection, Row, fetch_all

MAX_BYTES = 10 * 1024 * 1024
MAX_PER_ITEM = 10
EDITABLE = ("pending", "returned")
EXTENSIONS = {"image/jpeg": "jpg", "image/png": "png", "application/pdf": "pdf"}
# Cleaning decodes whole images (up to 40 megapixels, ~120 MB of pixels): a small pool keeps it
# off the event loop and bounds how many run at once.
_CLEANERS = ThreadPoolExecutor(max_workers=2, thread_name_prefix="relay-attachment")
_LISTING_CHUNK = 500


async def _fetch(conn: Connection, sql: str, args: Sequence[object]) -> list[Row]:
    return list(await fetch_all(conn, sql, args))


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


async def _writable_item(conn: Connection, actor: Actor, item_id: str) -> Row:
    """The item, if `actor` may add or remove its attachments now; 404/409 otherwise."""
    if isinstance(actor, Staff):
        item = await item_for_staff(conn, actor, item_id)
        if item["entered_by"] is None:
            raise Conflict(
                "Practitioners attach scans only to paper letters they entered; the author of "
                "this item attaches their own files."
            )
    else:
        item, relation = await item_for_party(conn, actor, item_id)
        if relation != "sent" or item["author_id"] != actor.id or item["entered_by"] is not None:
            raise NotFound()
    case = await case_row(conn, actor, item["case_id"])
    if case["status"] in TERMINAL:
        raise Conflict("This process has ended; nothing more can be sent.")
    if item["state"] not in EDITABLE:
        raise Conflict(
            "Files can be added or removed only before the letter is decided, or after it was "
            "returned for changes."
        )
    return item


async def _clean(data: bytes) -> CleanedAttachment:
    if len(data) > MAX_BYTES:
        raise too_large()
    loop = asyncio.get_running_loop()
    work = functools.partial(clean_attachment, data, max_bytes=MAX_BYTES)
    try:
        return await loop.run_in_executor(_CLEANERS, work)
    except AttachmentRejected as exc:
        raise Invalid(str(exc), field="file") from exc


async def _raise_version(relay: Relay, conn: Connection, item: Row) -> int:
    version = int(item["version"]) + 1
    await conn.execute(
        "UPDATE items SET version = ?, updated_at = ? WHERE id = ?",
        (version, stamp(relay.now()), item["id"]),
    )
    return version


async def add_attachment(
    relay: Relay, actor: Actor, item_id: str, data: bytes
) -> dict[str, object]:
    """Clean and store one file on the item; returns its listing entry and the new version."""
    await _writable_item(relay.db.reader, actor, item_id)  # refuse before the CPU work
    cleaned = await _clean(data)
    async with relay.db.write() as conn:
        item = await _writable_item(conn, actor, item_id)
        rows = await _fetch(
            conn,
            "SELECT COUNT(*), COALESCE(MAX(n), 0) FROM attachments WHERE item_id = ?",
            (item_id,),
        )
        count, last = rows[0]
        if count >= MAX_PER_ITEM:
            raise Conflict(f"A letter can have at most {MAX_PER_ITEM} files attached.")
        n = int(last) + 1
        attachment_id = new_id("att")
        cipher = await relay.cipher(conn, item["case_id"])
        now = relay.now()
        await conn.execute(
            "INSERT INTO attachments (id, item_id, case_id, n, media_type, size, data, added_by, "
            "created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                attachment_id,
                item_id,
                item["case_id"],
                n,
                cleaned.media_type,
                len(cleaned.data),
                cipher.seal_bytes("attachments", attachment_id, "data", cleaned.data),
                actor.label,
                stamp(now),
            ),
        )
        version = await _raise_version(relay, conn, item)
        await relay.audit.append(
            conn,
            at=now,
            actor=actor.label,
            action="attachment.added",
            case_id=item["case_id"],
            subject=item_id,
            attachment=attachment_id,
            n=n,
            version=version,
        )
    return {
        "item_id": item_id,
        "n": n,
        "media_type": cleaned.media_type,
        "size": len(cleaned.data),
        "version": version,
    }


async def remove_attachment(relay: Relay, actor: Actor, item_id: str, n: int) -> dict[str, object]:
    """Take a file off an item that is still editable (e.g. after a practitioner returned it)."""
    async with relay.db.write() as conn:
        item = await _writable_item(conn, actor, item_id)
        rows = await _fetch(
            conn, "SELECT id FROM attachments WHERE item_id = ? AND n = ?", (item_id, n)
        )
        if not rows:
            raise NotFound()
        # secure_delete (see storage/db.py) overwrites the freed pages.
        await conn.execute("DELETE FROM attachments WHERE id = ?", (rows[0][0],))
        version = await _raise_version(relay, conn, item)
        await relay.audit.append(
            conn,
            at=relay.now(),
            actor=actor.label,
            action="attachment.removed",
            case_id=item["case_id"],
            subject=item_id,
            attachment=rows[0][0],
            n=n,
            version=version,
        )
    return {"item_id": item_id, "n": n, "version": version}


async def read_attachment(relay: Relay, actor: Actor, item_id: str, n: int) -> AttachmentFile:
    """One file, opened, for someone who may see it; every read is audited (ids only)."""
    async with relay.db.write() as conn:
        if isinstance(actor, Staff):
            item = await item_for_staff(conn, actor, item_id)
        else:
            item, relation = await item_for_party(conn, actor, item_id)
            if relation == "received" and item["recipient_state"] != "opened":
                if item["recipient_state"] == "declined":
                    raise Conflict("You chose not to receive this letter.")
                raise Conflict("Open the letter first to see the files attached to it.")
        cipher = await relay.cipher(conn, item["case_id"])  # 409 once shredded
        rows = await _fetch(
            conn,
            "SELECT id, media_type, data FROM attachments WHERE item_id = ? AND n = ?",
            (item_id, n),
        )
        if not rows:
            raise NotFound()
        attachment_id, media_type, blob = rows[0]
        data = cipher.open_bytes("attachments", attachment_id, "data", blob)
        await relay.audit.append(
            conn,
            at=relay.now(),
            actor=actor.label,
            action="attachment.read",
            case_id=item["case_id"],
            subject=item_id,
            attachment=attachment_id,
            n=n,
        )
    return AttachmentFile(data, media_type, f"attachment-{n}.{EXTENSIONS[media_type]}")


async def listings(conn: Connection, item_ids: Iterable[str]) -> dict[str, list[dict[str, object]]]:
    """`{item id: [{n, media_type, size}, ...]}` for the given items (no content is opened)."""
    ids = list(dict.fromkeys(item_ids))
    found: dict[str, list[dict[str, object]]] = {}
    for start in range(0, len(ids), _LISTING_CHUNK):
        chunk = ids[start : start + _LISTING_CHUNK]
        marks = ", ".join("?" * len(chunk))
        rows = await _fetch(
            conn,
            "SELECT item_id, n, media_type, size FROM attachments "  # noqa: S608 - only marks
            f"WHERE item_id IN ({marks}) ORDER BY item_id, n",
            chunk,
        )
        for item_id, n, media_type, size in rows:
            found.setdefault(item_id, []).append({"n": n, "media_type": media_type, "size": size})
    return found


async def add_listings(
    conn: Connection,
    views: Sequence[MutableMapping[str, object]],
    *,
    only_opened: bool = False,
) -> None:
    """Add `attachments` to item views; with `only_opened`, only to views the reader opened.

    A recipient learns what is attached (count, types, sizes) only once they open the letter,
    like its text.
    """
    shown = [v for v in views if not only_opened or v.get("state") == "opened"]
    found = await listings(conn, (str(v["id"]) for v in shown))
    for view in shown:
        view["attachments"] = found.get(str(view["id"]), [])
