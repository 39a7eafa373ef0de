"""SQLite storage: one writer connection behind a lock, one reader, numbered migrations."""

from relay.storage.connection import Connection, Row
from relay.storage.db import Database, StorageUnavailable, fetch_all

__all__ = ["Connection", "Database", "Row", "StorageUnavailable", "fetch_all"]
