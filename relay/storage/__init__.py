"""SQLite storage: one writer connection behind a lock, one reader, numbered migrations."""

from relay.storage.db import Database, StorageUnavailable

__all__ = ["Database", "StorageUnavailable"]
