"""Running the detectors off the event loop, in worker processes of our own.

Detection is CPU work (about half a millisecond for a 2 KB letter, tens for a long one), so in
the server it runs in other processes: a thread would hold the GIL and stall every request.

Why not `concurrent.futures.ProcessPoolExecutor`? Each of its calls crosses two helper threads
in the server (a queue manager and a queue feeder) before reaching a worker, and back again
before the event loop is woken; on 2 cores those hand-offs cost the loop about as much as the
scan itself, and a worker that dies breaks the whole pool for good. Here each worker has one
pipe: the loop writes a request to an idle worker and reads the answer when the pipe becomes
readable (`add_reader`), with no thread in between. Requests wait in a queue when every worker
is busy, and a worker that dies fails only the scan it held and is replaced.

The workers are spawned (not forked: they never inherit the server's threads, locks or open
files), start with the server (`start`), and die with the server even if it is SIGKILLed.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import ctypes
import logging
import multiprocessing
import os
import pickle
import signal
import sys
from collections.abc import Sequence
from multiprocessing.connection import Connection
from multiprocessing.process import BaseProcess

from moderation import Finding, find_contact_details, find_risk_phrases

log = logging.getLogger(__name__)
_PR_SET_PDEATHSIG = 1


class ScanFailed(RuntimeError):
    """A scanner process died while scanning; the letter was not scanned (nor stored)."""


def _die_with_parent() -> None:
    """In a worker: if the server is killed (even with SIGKILL), its scanners go too."""
    if sys.platform.startswith("linux"):
        with contextlib.suppress(OSError, AttributeError):
            libc = ctypes.CDLL(None, use_errno=True)
            libc.prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)
        if os.getppid() == 1:  # the parent died before prctl took effect
            os._exit(0)


def scan_text(text: str, known: Sequence[str]) -> list[Finding]:
    """Contact details and risk phrases of `text`, sorted by position."""
    return sorted(find_contact_details(text, known) + find_risk_phrases(text))


def _worker_main(conn: Connection) -> None:
    """A scanner process: answer (text, known) requests until the server closes the pipe."""
    _die_with_parent()
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # a Ctrl-C is for the server to handle
    while True:
        try:
            text, known = pickle.loads(conn.recv_bytes())  # noqa: S301 - from our server
        except (EOFError, OSError):
            return
        try:
            answer: tuple[bool, object] = (True, scan_text(text, known))
        except Exception as exc:  # the server raises it in the request that asked
            answer = (False, exc)
        conn.send_bytes(pickle.dumps(answer, protocol=pickle.HIGHEST_PROTOCOL))


class _Worker:
    def __init__(self, process: BaseProcess, conn: Connection) -> None:
        self.process = process
        self.conn = conn
        self.job: asyncio.Future[list[Finding]] | None = None
        self.answered = False


# Workers that die before their first answer (a broken install, say) are not replaced in a
# loop: after this many in a row, waiting scans fail and the next scan tries again.
MAX_STARTUP_DEATHS = 3


def _ignore_outcome(job: asyncio.Future[list[Finding]]) -> None:
    if not job.cancelled():
        job.exception()  # a warm-up's failure is the replaced worker's, and logged there


class Scanner:
    """Scans in `workers` processes; with 0 workers, inline (for tools and small tests)."""

    worker_main = staticmethod(_worker_main)  # what a worker process runs

    def __init__(self, workers: int) -> None:
        self.workers = workers
        self._all: list[_Worker] = []
        self._idle: list[_Worker] = []
        self._waiting: collections.deque[tuple[bytes, asyncio.Future[list[Finding]]]] = (
            collections.deque()
        )
        self._loop: asyncio.AbstractEventLoop | None = None
        self._startup_deaths = 0
        self.started = 0  # worker processes started so far

    def start(self) -> None:
        """Start every worker now, each loading the detectors with one warm-up scan, so the
        first letters after a start are not held while processes spawn and import (0.5-3 s
        on a busy machine when this was left to the first scan)."""
        if self.workers == 0:
            return
        self._loop = asyncio.get_running_loop()
        while len(self._all) < self.workers:
            self._spawn()
        warm_up = pickle.dumps(("Warm-up: 07700 900123, a@b.example.", ()))
        for _ in range(self.workers):
            job: asyncio.Future[list[Finding]] = self._loop.create_future()
            job.add_done_callback(_ignore_outcome)
            if self._idle:
                self._send(self._idle.pop(), warm_up, job)
            else:
                self._waiting.append((warm_up, job))

    async def scan(self, text: str, known: Sequence[str]) -> list[Finding]:
        if self.workers == 0:
            return scan_text(text, known)
        loop = asyncio.get_running_loop()
        if self._loop is None:
            self._loop = loop
        while len(self._all) < self.workers:
            self._spawn()
        job: asyncio.Future[list[Finding]] = loop.create_future()
        request = pickle.dumps((text, tuple(known)), protocol=pickle.HIGHEST_PROTOCOL)
        if self._idle:
            self._send(self._idle.pop(), request, job)
        else:
            self._waiting.append((request, job))
        return await job

    def _spawn(self) -> None:
        assert self._loop is not None
        ours, theirs = multiprocessing.get_context("spawn").Pipe(duplex=True)
        process = multiprocessing.get_context("spawn").Process(
            target=self.worker_main, args=(theirs,), name="relay-scanner", daemon=True
        )
        process.start()
        self.started += 1
        theirs.close()
        worker = _Worker(process, ours)
        self._all.append(worker)
        self._idle.append(worker)
        self._loop.add_reader(ours.fileno(), self._answered, worker)

    def _send(self, worker: _Worker, request: bytes, job: asyncio.Future[list[Finding]]) -> None:
        try:
            # One request per worker at a time, and the worker is waiting to read it: this
            # returns at once (a request above the pipe's buffer waits only for that read).
            worker.conn.send_bytes(request)
        except OSError:  # it died before its end of file was seen: the request never started
            self._waiting.appendleft((request, job))
            self._replace(worker)
            return
        worker.job = job

    def _answered(self, worker: _Worker) -> None:
        """The worker's pipe is readable: its answer, or end of file if it died."""
        try:
            ok, value = pickle.loads(worker.conn.recv_bytes())  # noqa: S301 - our own worker
        except (EOFError, OSError):
            self._replace(worker)
            return
        job, worker.job = worker.job, None
        worker.answered = True
        self._startup_deaths = 0
        if job is not None and not job.done():  # done: the request was cancelled meanwhile
            if ok:
                job.set_result(value)
            else:
                job.set_exception(value)
        self._next(worker)

    def _next(self, worker: _Worker) -> None:
        while self._waiting:
            request, job = self._waiting.popleft()
            if not job.done():
                self._send(worker, request, job)
                return
        self._idle.append(worker)

    def _replace(self, worker: _Worker) -> None:
        """A worker died: fail the scan it held, and start another in its place."""
        self._retire(worker)
        worker.process.join(timeout=0)  # reap it
        log.error("a scanner process exited (code %s)", worker.process.exitcode)
        job, worker.job = worker.job, None
        if job is not None and not job.done():
            job.set_exception(ScanFailed("the scanner stopped while scanning this letter"))
        self._startup_deaths = 0 if worker.answered else self._startup_deaths + 1
        if self._startup_deaths < MAX_STARTUP_DEATHS:
            self._spawn()
            self._next(self._idle.pop())
        elif not self._all:
            while self._waiting:
                _request, waiting = self._waiting.popleft()
                if not waiting.done():
                    waiting.set_exception(ScanFailed("no scanner process could start"))

    def _retire(self, worker: _Worker) -> None:
        assert self._loop is not None
        self._loop.remove_reader(worker.conn.fileno())
        worker.conn.close()
        if worker in self._all:
            self._all.remove(worker)
        if worker in self._idle:
            self._idle.remove(worker)

    def close(self) -> None:
        for worker in list(self._all):
            self._retire(worker)  # closing the pipe ends the worker's loop
            worker.process.join(timeout=5)
            if worker.process.is_alive():
                worker.process.kill()
                worker.process.join()
        for _request, job in self._waiting:
            if not job.done():
                job.cancel()
        self._waiting.clear()
