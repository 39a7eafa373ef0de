"""Storage: the only package that holds SQL or touches a database driver.

`Store` (store.py) runs transaction functions off the event loop on SQLite or PostgreSQL
(backends.py); `Tx` (tx.py) is a transaction's handle; one module per aggregate (cases,
participants, items, ...) holds that aggregate's statements and returns typed records;
`sealed.py` declares the encrypted columns and seals/opens them.
"""

from relay.storage.errors import Duplicate, StorageUnavailable, TransactionClosed
from relay.storage.store import Store
from relay.storage.tx import Tx

__all__ = ["Duplicate", "StorageUnavailable", "Store", "TransactionClosed", "Tx"]
