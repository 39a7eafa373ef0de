"""SQLite storage: one writer connection behind a lock, one reader, numbered migrations."""

from relay.storage.db import Database, StorageUnavailable, fetch_all

__all__ = ["Database", "StorageUnavailable", "fetch_all"]
