"""Running the detectors off the event loop.

Detection is CPU work (phonenumbers' matcher alone costs ~0.6 ms per 400 characters), so in
the server it runs in a process pool: a thread would hold the GIL and stall every other
request. The workers are spawned (not forked: they never inherit the server's threads, locks
or open files), start once, lazily, and die with the server even if it is SIGKILLed.
"""

from __future__ import annotations

import asyncio
import contextlib
import ctypes
import multiprocessing
import os
import signal
import sys
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor

from moderation import Finding, find_contact_details, find_risk_phrases

_PR_SET_PDEATHSIG = 1


def _die_with_parent() -> None:
    """Worker initializer: if the server is killed (even with SIGKILL), its scanners go too."""
    if sys.platform.startswith("linux"):
        with contextlib.suppress(OSError, AttributeError):
            libc = ctypes.CDLL(None, use_errno=True)
            libc.prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)
        if os.getppid() == 1:  # the parent died before prctl took effect
            os._exit(0)


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
            context = multiprocessing.get_context("spawn")
            self._pool = ProcessPoolExecutor(
                max_workers=self.workers, mp_context=context, initializer=_die_with_parent
            )
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._pool, scan_text, text, tuple(known))

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None
