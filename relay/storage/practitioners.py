"""Practitioners: the staff accounts, and the statements that read and change them."""

from __future__ import annotations

from relay.storage.tx import Tx


def active_id(tx: Tx, username: str) -> str | None:
    """The id of the active practitioner with this username, if there is one."""
    value = tx.value("SELECT id FROM practitioners WHERE username = ? AND active = 1", (username,))
    return None if value is None else str(value)
