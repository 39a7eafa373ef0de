"""Running the detectors off the event loop.

Detection is CPU work (phonenumbers' matcher alone costs ~0.6 ms per 400 characters), so in
the server it runs in a process pool: a thread would hold the GIL and stall every other
request. The pool's processes come from a forkserver that preloads `moderation`, so a worker
starts in milliseconds and never inherits the server's threads or open files.
"""

from __future__ import annotations

import asyncio
import multiprocessing
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor

from moderation import Finding, find_contact_details, find_risk_phrases


def scan_text(text: str, known: Sequence[str]) -> list[Finding]:
    """Contact details and risk phrases of `text`, sorted by position."""
    return sorted(find_contact_details(text, known) + find_risk_phrases(text))


class Scanner:
    """Scans in `workers` processes; with 0 workers, inline (for tools and small tests)."""

    def __init__(self, workers: int) -> None:
        self.workers = workers
        self._pool: ProcessPoolExecutor | None = None

    async def scan(self, text: str, known: Sequence[str]) -> list[Finding]:
        if self.workers == 0:
            return scan_text(text, known)
        if self._pool is None:
            context = multiprocessing.get_context("forkserver")
            context.set_forkserver_preload(["moderation", "relay.scanning"])
            self._pool = ProcessPoolExecutor(max_workers=self.workers, mp_context=context)
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._pool, scan_text, text, tuple(known))

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None
