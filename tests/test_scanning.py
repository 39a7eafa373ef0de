"""The scanner processes: same findings as inline, queueing, errors, and a worker's death."""

from __future__ import annotations

import asyncio
import os
import signal
from collections.abc import AsyncIterator

import pytest

from relay.scanning import MAX_STARTUP_DEATHS, ScanFailed, Scanner, scan_text

LETTER = (
    "I am sorry for what happened. If you ever want to talk, my number is "
    "oh seven seven double oh, nine hundred, one two three, or write to sam at example dot com."
)
KNOWN = ("07700 900123",)


@pytest.fixture
async def scanner() -> AsyncIterator[Scanner]:
    pool = Scanner(workers=2)
    yield pool
    pool.close()


def _pids(pool: Scanner) -> set[int]:
    return {w.process.pid for w in pool._all if w.process.pid is not None}


async def test_workers_find_what_an_inline_scan_finds(scanner: Scanner) -> None:
    expected = scan_text(LETTER, KNOWN)
    assert {f.kind for f in expected} >= {"known", "email"}
    assert await scanner.scan(LETTER, KNOWN) == expected
    assert all(pid != os.getpid() for pid in _pids(scanner))


async def test_more_scans_than_workers_wait_their_turn(scanner: Scanner) -> None:
    letters = [f"{LETTER} Letter {n}." for n in range(40)]
    results = await asyncio.gather(*(scanner.scan(text, KNOWN) for text in letters))
    assert results == [scan_text(text, KNOWN) for text in letters]
    assert len(scanner._idle) == 2 and not scanner._waiting


async def test_an_error_in_a_worker_reaches_the_caller_and_the_worker_goes_on(
    scanner: Scanner,
) -> None:
    with pytest.raises(AttributeError):  # raised in the worker, re-raised here
        await scanner.scan(None, KNOWN)  # type: ignore[arg-type]
    assert await scanner.scan(LETTER, KNOWN) == scan_text(LETTER, KNOWN)


async def test_a_worker_killed_mid_scan_fails_only_that_scan_and_is_replaced(
    scanner: Scanner,
) -> None:
    await scanner.scan("warm up", ())
    before = _pids(scanner)
    long_letter = "call me on 0 7 7 0 0 or at home, " * 4000  # about 130 KB: tens of ms
    task = asyncio.ensure_future(scanner.scan(long_letter, KNOWN))
    await asyncio.sleep(0.005)
    busy = [w for w in scanner._all if w.job is not None]
    assert len(busy) == 1
    os.kill(busy[0].process.pid or 0, signal.SIGKILL)
    with pytest.raises(ScanFailed):
        await task
    assert await scanner.scan(LETTER, KNOWN) == scan_text(LETTER, KNOWN)
    after = _pids(scanner)
    assert len(after) == 2 and len(after - before) == 1


async def test_an_idle_worker_that_dies_is_replaced_before_anyone_waits_on_it(
    scanner: Scanner,
) -> None:
    await scanner.scan("warm up", ())
    for worker in list(scanner._all):
        os.kill(worker.process.pid or 0, signal.SIGKILL)
        worker.process.join(timeout=5)
    results = await asyncio.gather(*(scanner.scan(LETTER, KNOWN) for _ in range(4)))
    assert results == [scan_text(LETTER, KNOWN)] * 4


async def test_closing_ends_every_worker(scanner: Scanner) -> None:
    await scanner.scan(LETTER, KNOWN)
    processes = [w.process for w in scanner._all]
    scanner.close()
    assert processes and not any(p.is_alive() for p in processes)


def _dies_at_start(conn: object) -> None:
    os._exit(3)


class _Broken(Scanner):
    worker_main = staticmethod(_dies_at_start)


async def test_workers_that_cannot_start_fail_scans_without_a_respawn_loop() -> None:
    broken = _Broken(workers=2)
    try:
        with pytest.raises(ScanFailed):
            await asyncio.wait_for(broken.scan(LETTER, KNOWN), timeout=30)
        for _ in range(600):  # the replacements die too; under load that can take seconds
            if not broken._all:
                break
            await asyncio.sleep(0.05)
        assert broken._all == []
        started = broken.started
        assert started <= 2 + MAX_STARTUP_DEATHS
        await asyncio.sleep(0.3)
        assert broken.started == started  # no loop of respawns
        with pytest.raises(ScanFailed):  # the next scan tries again, and fails the same way
            await asyncio.wait_for(broken.scan(LETTER, KNOWN), timeout=30)
    finally:
        broken.close()


async def test_workers_start_with_the_server_not_at_the_first_letter(scanner: Scanner) -> None:
    scanner.start()
    assert scanner.started == 2 and len(_pids(scanner)) == 2
    before = _pids(scanner)
    assert await scanner.scan(LETTER, KNOWN) == scan_text(LETTER, KNOWN)
    assert _pids(scanner) == before and scanner.started == 2  # no new process for the letter


async def test_start_is_a_no_op_for_inline_scanning() -> None:
    inline = Scanner(workers=0)
    inline.start()
    assert inline.started == 0
    assert await inline.scan(LETTER, KNOWN) == scan_text(LETTER, KNOWN)
