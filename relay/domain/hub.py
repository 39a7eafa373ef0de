"""The Relay hub: the resources every domain operation needs, in one object."""

from __future__ import annotations

import logging
import secrets
from dataclasses import dataclass
from datetime import datetime

from relay.audit import AuditLog
from relay.audit import anchor as audit_anchor
from relay.config import Config
from relay.crypto import KeyStore
from relay.passwords import Passwords
from relay.scanning import Scanner
from relay.storage.errors import StorageUnavailable
from relay.storage.store import Store

log = logging.getLogger(__name__)


def new_id(prefix: str) -> str:
    """An unguessable id such as `itm_3f9a…`: ids travel in URLs, so they reveal nothing."""
    return f"{prefix}_{secrets.token_hex(8)}"


def stamp(when: datetime) -> str:
    """A sortable UTC timestamp (every stored time uses this one format)."""
    return when.isoformat(timespec="microseconds")


@dataclass
class Relay:
    """What every use case needs. `store` is the only way to the data: a use case does its
    slow work (scans, hashes, cleaning files) first, then hands one plain function to
    `store.write` or `store.read` (see relay/storage/store.py)."""

    config: Config
    store: Store
    keys: KeyStore
    audit: AuditLog
    passwords: Passwords
    scanner: Scanner

    def now(self) -> datetime:
        return self.config.clock()

    async def anchor_audit(self) -> None:
        """Record the newest audit event outside the database (see relay/audit/anchor.py)."""
        await audit_anchor.advance(self.store, self.keys.directory)

    async def close(self) -> None:
        self.scanner.close()
        self.passwords.close()
        try:
            await self.anchor_audit()
        except (OSError, StorageUnavailable):  # closing goes on; say why
            log.exception("could not record the audit anchor")
        await self.store.close()
