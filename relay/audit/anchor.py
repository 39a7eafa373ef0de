"""The audit anchor: the newest event's (seq, MAC), kept outside the database in keys/.

The MAC chain shows that no event was altered or removed from the middle, but someone able to
write the database could cut its newest events off and leave a shorter chain that still holds.
So the server records, every few seconds and when it (or any `relay` command) stops, the last
event it knows of in `keys/audit.anchor`; `relay audit verify` then also checks that this
event is still there, unchanged. An attacker who can write the database but not keys/ cannot
move the anchor back. What stays unprovable is a cut of the events written since the last
anchor (seconds).

The anchor only moves forward, and never past evidence: if the event it names is missing or
different, it stays where it is until `relay audit reanchor` (after a deliberate restore from a
backup) moves it, which the audit log itself records.
"""

from __future__ import annotations

import asyncio
import fcntl
import json
import logging
import os
from dataclasses import dataclass
from pathlib import Path

from relay.storage import audit as stored
from relay.storage.store import Store
from relay.storage.tx import Tx

ANCHOR_FILE = "audit.anchor"
log = logging.getLogger(__name__)


class AnchorUnreadable(RuntimeError):
    """keys/audit.anchor exists but is not an anchor (damaged, or edited by hand)."""


@dataclass(frozen=True, slots=True)
class Anchor:
    seq: int
    mac: str


def read_anchor(keys_dir: Path) -> Anchor | None:
    path = keys_dir / ANCHOR_FILE
    try:
        data = json.loads(path.read_text("utf-8"))
        return Anchor(int(data["seq"]), str(data["mac"]))
    except FileNotFoundError:
        return None
    except (ValueError, KeyError, TypeError) as exc:
        raise AnchorUnreadable(f"{path} is not a valid audit anchor") from exc


def write_anchor(keys_dir: Path, anchor: Anchor) -> None:
    """Replace the anchor atomically and durably (owner-only, like the keys beside it)."""
    final = keys_dir / ANCHOR_FILE
    temporary = keys_dir / f".{ANCHOR_FILE}.{os.getpid()}.tmp"
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        os.write(fd, json.dumps({"seq": anchor.seq, "mac": anchor.mac}).encode())
        os.fsync(fd)
    finally:
        os.close(fd)
    os.replace(temporary, final)
    directory = os.open(keys_dir, os.O_RDONLY)
    try:
        os.fsync(directory)
    finally:
        os.close(directory)


def head(tx: Tx) -> Anchor | None:
    """The newest event's (seq, MAC): the end of the chain."""
    end = stored.head(tx)
    return None if end is None else Anchor(*end)


def still_holds(tx: Tx, anchor: Anchor) -> bool:
    return stored.mac_of(tx, anchor.seq) == anchor.mac


async def advance(store: Store, keys_dir: Path) -> Anchor | None:
    """Move the anchor to the newest event, if that is forward and the old one still holds."""
    newest = await store.read(head)
    if newest is None:
        return None
    try:
        current = await asyncio.to_thread(read_anchor, keys_dir)
    except AnchorUnreadable:
        log.error("keys/%s is unreadable: left as it is (run `relay audit verify`)", ANCHOR_FILE)
        return None
    if current is not None:
        if newest.seq <= current.seq:
            return current
        anchored = current
        if not await store.read(lambda tx: still_holds(tx, anchored)):
            log.error("the audit log lost anchored event %d: run `relay audit verify`", current.seq)
            return current
    return await asyncio.to_thread(_move_forward, keys_dir, newest)


def _move_forward(keys_dir: Path, newest: Anchor) -> Anchor | None:
    """Write `newest` unless another process moved the anchor as far meanwhile.

    Several `relay serve` may share keys/ (one PostgreSQL database): the read, the comparison
    and the write happen under an exclusive lock on a file beside the anchor, so an older
    anchor never overwrites a newer one.
    """
    # Owner-only, like everything in keys/ (`relay serve` refuses group- or world-readable).
    descriptor = os.open(keys_dir / f".{ANCHOR_FILE}.lock", os.O_RDWR | os.O_CREAT, 0o600)
    with os.fdopen(descriptor, "r+") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            current = read_anchor(keys_dir)
        except AnchorUnreadable:  # left as it is, for `relay audit verify` to report
            return None
        if current is not None and current.seq >= newest.seq:
            return current
        write_anchor(keys_dir, newest)
        return newest
