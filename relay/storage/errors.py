"""What storage can report, in words the layers above it understand.

Nothing above `relay/storage/` sees a driver's exception or matches its message: storage turns
each into one of these, inside storage.
"""

from __future__ import annotations


class StorageUnavailable(RuntimeError):
    """The database cannot be reached or written (down, read-only, disk full, locked too long)."""


class Duplicate(RuntimeError):
    """A row with this key already exists (a UNIQUE or PRIMARY KEY constraint)."""


class TransactionClosed(RuntimeError):
    """A transaction handle was used after its transaction ended (or from the wrong thread)."""
