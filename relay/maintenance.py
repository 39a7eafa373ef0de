"""Operations on the whole store: key rotation, retention (crypto-shredding), backup."""

from __future__ import annotations

import asyncio
import logging
import os
from collections.abc import Callable
from datetime import timedelta
from functools import partial
from pathlib import Path
from urllib.parse import unquote

from relay.api.idempotency import RETENTION as IDEMPOTENCY_RETENTION
from relay.crypto import DecryptionFailed, KeyStore
from relay.domain.actors import SYSTEM
from relay.domain.hub import Relay, stamp
from relay.storage import keyring, retention
from relay.storage.keyring import WrappedKey
from relay.storage.tx import Tx

log = logging.getLogger("relay.maintenance")
ROTATE_BATCH = 200  # data keys re-wrapped per write


class BackupFailed(RuntimeError):
    """pg_dump is missing or did not finish; the message says which."""


async def count_data_keys(relay: Relay) -> int:
    """How many cases still have a data key (what `rotate_keys` will re-wrap)."""
    return await relay.store.read(keyring.count)


def _rewrapped(
    keys: KeyStore, found: list[WrappedKey], master: int
) -> list[tuple[WrappedKey, bytes]]:
    """New wrappings under the current master for the keys not already under `master`."""
    changes = []
    for old in found:
        if keys.wrapped_with(old.wrapped) == master:
            continue  # wrapped since the rotation began
        try:
            data_key = keys.unwrap(old.case_id, old.wrapped)
        except DecryptionFailed:  # shredded since it was read, or its shred key is missing
            log.warning("the data key of case %s does not open: left as it was", old.case_id)
            continue
        changes.append((old, keys.wrap(old.case_id, data_key)))
    return changes


async def rotate_keys(relay: Relay, progress: Callable[[int], None] | None = None) -> int:
    """Add a new master key and re-wrap every case's data key under it; return the count."""
    new_id = relay.keys.add_master()
    done = 0
    after = ""
    while True:
        found = await relay.store.read(partial(keyring.page, after=after, limit=ROTATE_BATCH))
        if not found:
            break
        # Key files and AES off the loop; the write only swaps the blobs.
        changes = await asyncio.to_thread(_rewrapped, relay.keys, found, new_id)
        done += await relay.store.write(partial(keyring.rewrap, changes=changes))
        after = found[-1].case_id
        if progress is not None:
            progress(len(found))

    def record(tx: Tx) -> None:
        relay.audit.append(
            tx, at=relay.now(), actor="cli", action="keys.rotated", master=new_id, cases=done
        )

    await relay.store.write(record)
    return done


async def master_keys_in_use(relay: Relay) -> set[int]:
    """The master keys that wrap at least one case's data key."""
    used: set[int] = set()
    after = ""
    while found := await relay.store.read(partial(keyring.page, after=after, limit=2000)):
        used |= {relay.keys.wrapped_with(key.wrapped) for key in found}
        after = found[-1].case_id
    return used


async def run_retention(relay: Relay) -> list[str]:
    """Destroy the data key of every case that ended more than the retention period ago.

    Content, notes, findings and the vault become unrecoverable (their ciphertexts are also
    deleted, and secure_delete overwrites the pages); the case's shred key in keys/cases/ is
    destroyed too, so no copy of its wrapped data key opens; the audit chain stays and still
    verifies.
    """
    now = relay.now()
    cutoff = stamp(now - timedelta(days=relay.config.retention_days))
    due = await relay.store.read(lambda tx: retention.due(tx, cutoff))
    # Idempotent replays are kept 24 h; past that their stored answers (which can quote a
    # letter or an invite code, under a service-wide key) must not outlive a shredded case.
    expired = stamp(now - IDEMPOTENCY_RETENTION)
    await relay.store.write(lambda tx: retention.purge_replays(tx, expired))
    shredded = []
    for case_id in due:
        if await relay.store.write(partial(_shred, relay, case_id=case_id)):
            shredded.append(case_id)
    # Also any shred key a run stopped before destroying (it committed, then the process died).
    gone = await relay.store.read(retention.shredded)
    await asyncio.to_thread(_destroy_shred_keys, relay.keys, gone)
    if shredded:
        # Older page images of what was just overwritten may still sit in the WAL file; copy the
        # WAL into the database and truncate it (best effort: a busy reader makes it partial).
        await relay.store.checkpoint()
    return shredded


def _shred(relay: Relay, tx: Tx, *, case_id: str) -> bool:
    if not retention.shred(tx, case_id, stamp(relay.now())):
        return False  # another process shredded it first
    relay.audit.append(
        tx, at=relay.now(), actor=SYSTEM, action="case.shredded", case_id=case_id, subject=case_id
    )
    return True


def _destroy_shred_keys(keys: KeyStore, case_ids: list[str]) -> None:
    for case_id in case_ids:
        keys.destroy_case_key(case_id)


async def backup(relay: Relay, target: Path) -> None:
    """A consistent copy of the live database, safe while serving: SQLite's online backup, or
    on PostgreSQL `pg_dump` (custom format, for pg_restore) run with the database's URL."""
    try:
        # Created owner-only: a backup holds wrapped data keys, ciphertexts and aliases.
        target.touch(mode=0o600, exist_ok=False)
    except FileExistsError as exc:
        raise FileExistsError(f"{target} already exists; choose a new file name") from exc
    try:
        if relay.store.dialect == "postgresql":
            assert relay.config.database_url is not None
            await _pg_dump(relay.config.database_url, target)
        else:
            await relay.store.backup(target)
    except BaseException:
        target.unlink(missing_ok=True)  # never leave a half-written file that looks like one
        raise


def _without_password(url: str) -> tuple[str, str | None]:
    """The URL without its password (which would show in `ps`), and the password."""
    scheme, sep, rest = url.partition("://")
    netloc, slash, tail = rest.partition("/")
    userinfo, at, hosts = netloc.rpartition("@")
    user, colon, password = userinfo.partition(":")
    if not (sep and at and colon):
        return url, None
    return f"{scheme}://{user}@{hosts}{slash}{tail}", unquote(password)


async def _pg_dump(url: str, target: Path) -> None:
    address, password = _without_password(url)
    env = dict(os.environ)
    if password is not None:
        env["PGPASSWORD"] = password
    command = ["pg_dump", "--format=custom", f"--file={target}", f"--dbname={address}"]
    try:
        process = await asyncio.create_subprocess_exec(
            *command, env=env, stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.PIPE
        )
    except FileNotFoundError as exc:
        raise BackupFailed(
            "pg_dump was not found: install the PostgreSQL client tools (Debian: "
            "postgresql-client) of the server's version or newer"
        ) from exc
    _, errors = await process.communicate()
    if process.returncode != 0:
        detail = errors.decode("utf-8", "replace").strip()
        if password:
            detail = detail.replace(password, "[redacted]")
        raise BackupFailed(f"pg_dump failed (exit {process.returncode}): {detail[:500]}")
