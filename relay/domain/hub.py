"""The Relay hub: the resources every domain operation needs, in one object."""

from __future__ import annotations

import logging
import secrets
import sqlite3
from dataclasses import dataclass, field
from datetime import datetime

from relay import audit_anchor
from relay.audit import AuditLog
from relay.config import Config
from relay.crypto import CaseCipher, KeyStore
from relay.domain.errors import Conflict, NotFound
from relay.passwords import Passwords
from relay.scanning import Scanner
from relay.storage import Connection, Database, StorageUnavailable, fetch_all

log = logging.getLogger(__name__)


def new_id(prefix: str) -> str:
    """An unguessable id such as `itm_3f9a…`: ids travel in URLs, so they reveal nothing."""
    return f"{prefix}_{secrets.token_hex(8)}"


def stamp(when: datetime) -> str:
    """A sortable UTC timestamp (every stored time uses this one format)."""
    return when.isoformat(timespec="microseconds")


@dataclass
class Relay:
    config: Config
    db: Database
    keys: KeyStore
    audit: AuditLog
    passwords: Passwords
    scanner: Scanner
    _ciphers: dict[str, CaseCipher] = field(default_factory=dict)

    def now(self) -> datetime:
        return self.config.clock()

    async def cipher(self, conn: Connection, case_id: str) -> CaseCipher:
        """The case's cipher; 404 for no such case, 409 once its key has been shredded."""
        cached = self._ciphers.get(case_id)
        if cached is not None:
            return cached
        rows = await fetch_all(conn, "SELECT data_key FROM cases WHERE id = ?", (case_id,))
        if not rows:
            raise NotFound()
        if rows[0][0] is None:
            raise Conflict("This case's content has been destroyed under the retention policy.")
        cipher = CaseCipher(case_id, self.keys.unwrap(case_id, rows[0][0]))
        self._ciphers[case_id] = cipher
        return cipher

    def forget_cipher(self, case_id: str) -> None:
        self._ciphers.pop(case_id, None)

    async def anchor_audit(self) -> None:
        """Record the newest audit event outside the database (see relay/audit_anchor.py)."""
        await audit_anchor.advance(self.db.reader, self.keys.directory)

    async def close(self) -> None:
        self.scanner.close()
        self.passwords.close()
        try:
            await self.anchor_audit()
        except (OSError, sqlite3.Error, StorageUnavailable):  # closing goes on; say why
            log.exception("could not record the audit anchor")
        await self.db.close()
