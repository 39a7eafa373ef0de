"""WAL checkpoints beside the writer, so that no writer waits for one.

SQLite's automatic checkpoint runs inside the COMMIT that takes the WAL past
`wal_autocheckpoint` pages: on relay's single writer, holding every other write while up to
4 MB are copied into the database file and that file is fsynced (several times a second under
load, and the likeliest cause of the write benchmarks' rare 100 ms stalls). Here the bulk of
the copy runs on a connection and a thread of its own, in PASSIVE mode, which never blocks the
writer. A checkpoint beside a writer that never pauses always ends behind it, though, and a
WAL is only restarted from its beginning once every frame in it has been copied; so when the
bulk copy is done, the writer finishes the job right after one of its COMMITs, copying only
the few frames written meanwhile. The writer keeps a far larger automatic checkpoint as a
backstop, should this fall behind.
"""

from __future__ import annotations

import asyncio
import logging
import sqlite3
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

log = logging.getLogger("relay.storage")

EVERY_SECONDS = 1.0  # at most one bulk copy a second: hot pages are copied once per copy
BACKSTOP_PAGES = 20_000  # the writer's own automatic checkpoint (~80 MB of WAL)
FINISH = "PRAGMA wal_checkpoint(PASSIVE)"  # what the writer runs after a COMMIT when asked


class Checkpointer:
    """Decides when checkpoints run; the bulk copies run here, the finishing ones on the writer."""

    def __init__(self, path: Path, every: float = EVERY_SECONDS) -> None:
        self.path = path
        self.every = every
        self._thread = ThreadPoolExecutor(max_workers=1, thread_name_prefix="relay-checkpoint")
        self._conn: sqlite3.Connection | None = None
        self._running: asyncio.Future[None] | None = None
        self._finish_due = False
        self._last_start = time.monotonic()
        self.copies = 0  # bulk copies done (for tests and the curious)

    def finish_now(self) -> bool:
        """Called by the writer before a COMMIT: should it run `FINISH` after it?"""
        due, self._finish_due = self._finish_due, False
        return due

    def committed(self) -> None:
        """Called on the loop after each successful COMMIT: start a bulk copy if one is due."""
        if self._running is not None or time.monotonic() - self._last_start < self.every:
            return
        self._last_start = time.monotonic()
        self._running = asyncio.get_running_loop().run_in_executor(self._thread, self._copy)
        self._running.add_done_callback(self._copied)

    async def idle(self) -> None:
        """Wait for a running copy to end (a TRUNCATE checkpoint cannot run beside one)."""
        if self._running is not None:
            await asyncio.gather(self._running, return_exceptions=True)

    def _copy(self) -> None:
        if self._conn is None:
            self._conn = sqlite3.connect(self.path, isolation_level=None)
        self._conn.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchall()

    def _copied(self, done: asyncio.Future[None]) -> None:
        self._running = None
        if done.cancelled():
            return
        error = done.exception()
        if error is not None:  # the backstop and the next copy cover for it
            log.warning("WAL checkpoint beside the writer failed: %s", error)
            return
        self.copies += 1
        self._finish_due = True

    async def close(self) -> None:
        await self.idle()
        if self._conn is not None:
            conn, self._conn = self._conn, None
            await asyncio.get_running_loop().run_in_executor(self._thread, conn.close)
        self._thread.shutdown(wait=True)
