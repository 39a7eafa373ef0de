"""Password and passphrase hashing with argon2id, off the event loop.

Hashing costs ~tens of ms and 64 MiB; it runs in a small bounded thread pool (argon2 releases
the GIL) so a burst of logins neither blocks the loop nor exhausts memory.
"""

from __future__ import annotations

import asyncio
from concurrent.futures import ThreadPoolExecutor

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

MIN_PASSWORD = 10
MAX_PASSWORD = 1024
# A real hash of a throwaway value: verifying against it when the user is unknown takes as long
# as a real check, so response time does not reveal which usernames exist.
_DUMMY_SECRET = "relay-timing-equaliser"  # noqa: S105 - not a credential


class Passwords:
    def __init__(self, time_cost: int, memory_kib: int, parallelism: int, workers: int = 2):
        self._hasher = PasswordHasher(
            time_cost=time_cost, memory_cost=memory_kib, parallelism=parallelism
        )
        self._pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="argon2")
        self._dummy = self._hasher.hash(_DUMMY_SECRET)

    async def hash(self, secret: str) -> str:
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._pool, self._hasher.hash, secret)

    async def verify(self, stored: str | None, secret: str) -> bool:
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._pool, self._verify, stored, secret)

    def _verify(self, stored: str | None, secret: str) -> bool:
        try:
            return self._hasher.verify(stored or self._dummy, secret) and stored is not None
        except (VerifyMismatchError, VerificationError, InvalidHashError):
            return False

    def close(self) -> None:
        self._pool.shutdown(wait=True)
