"""Sampling profiles of the running server with py-spy (pip install py-spy into the venv).

py-spy attaches to the server's process without changing it. We record raw collapsed stacks
per thread and summarise them: the share of samples on the event-loop thread and on
the commit and executor threads, and the top functions by self time on each.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path


def py_spy() -> str | None:
    beside = Path(sys.executable).with_name("py-spy")
    return str(beside) if beside.exists() else shutil.which("py-spy")


@dataclass
class Profile:
    samples: int = 0
    by_thread: Counter[str] = field(default_factory=Counter)
    self_time: dict[str, Counter[str]] = field(default_factory=dict)
    inclusive: dict[str, Counter[str]] = field(default_factory=dict)

    def top(self, thread: str, n: int = 8) -> list[tuple[str, float]]:
        total = self.by_thread[thread] or 1
        return [
            (frame, round(100 * c / total, 1)) for frame, c in self.self_time[thread].most_common(n)
        ]

    def top_inclusive(
        self, thread: str, n: int = 8, contains: str = "relay/"
    ) -> list[tuple[str, float]]:
        total = self.by_thread[thread] or 1
        picked = [(f, c) for f, c in self.inclusive[thread].most_common() if contains in f]
        return [(frame, round(100 * c / total, 1)) for frame, c in picked[:n]]

    def as_json(self) -> dict[str, object]:
        return {
            "samples": self.samples,
            "threads": {
                t: round(100 * c / (self.samples or 1), 1) for t, c in self.by_thread.items()
            },
            "self_top": {t: self.top(t, 12) for t in self.by_thread},
            "relay_inclusive_top": {t: self.top_inclusive(t, 12) for t in self.by_thread},
        }


class Recorder:
    """py-spy record -p PID for a fixed time, in the background."""

    def __init__(self, pid: int, seconds: float, out: Path, rate: int = 250) -> None:
        tool = py_spy()
        if tool is None:
            raise RuntimeError("py-spy is not installed: .venv/bin/pip install py-spy")
        self.out = out
        self._process = subprocess.Popen(
            [
                tool,
                "record",
                "--pid",
                str(pid),
                "--duration",
                str(round(seconds)),
                "--rate",
                str(rate),
                "--threads",
                "--nonblocking",
                "--format",
                "raw",
                "--output",
                str(out),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )

    def wait(self, kind: str | None = None, into: Profile | None = None) -> Profile:
        _, err = self._process.communicate(timeout=120)
        if self._process.returncode != 0 or not self.out.exists():
            raise RuntimeError(f"py-spy failed: {err.strip()}")
        return summarise(self.out, kind, into)


def _frame(raw: str) -> str:
    """`handler (/path/to/relay/api/party.py:47)` -> `relay/api/party.py:47 handler`."""
    name, _, where = raw.partition(" (")
    where = where.rstrip(")")
    for marker in ("/relay/", "/moderation/", "/site-packages/", "/lib/python3"):
        if marker in where:
            where = where[where.index(marker) + 1 :]
            break
    return f"{where} {name}".strip()


# Leaf frames where a thread waits rather than works: epoll/poll in the event loop, the
# commit thread or an executor thread waiting for its next job, a scanner process waiting
# for its next letter (reading its pipe).
_WAITING = (
    "Selector.select",
    "Condition.wait",
    "_connection_worker_thread",
    "_worker (concurrent/futures/thread.py",
    "Connection._recv (",
    "SemLock.__enter__",
)


def _is_waiting(frame: str) -> bool:
    if frame.startswith("wait (") and "multiprocessing/connection.py" in frame:
        return True  # multiprocessing.connection.wait(): select() on the workers' pipes
    return any(marker in frame for marker in _WAITING)


def _thread_kind(root: str) -> str:
    # py-spy --threads puts `thread (0x7f.., name)` first; name the kinds we care about.
    if "MainThread" in root:
        return "event loop"
    return "other threads (commit, mail, executors)"


def summarise(path: Path, kind: str | None = None, profile: Profile | None = None) -> Profile:
    """Fold py-spy's raw stacks; `kind` names every thread (e.g. for scanner processes)."""
    profile = profile or Profile()
    for line in path.read_text().splitlines():
        stack, _, count_text = line.rpartition(" ")
        if not stack or not count_text.isdigit():
            continue
        count = int(count_text)
        frames = stack.split(";")
        thread = kind or _thread_kind(frames[0])
        calls = [_frame(f) for f in frames[1:]] or ["(idle)"]
        if _is_waiting(frames[-1]):
            calls = ["(waiting)"]
        profile.samples += count
        profile.by_thread[thread] += count
        profile.self_time.setdefault(thread, Counter())[calls[-1]] += count
        seen = set()
        for call in calls:
            if call not in seen:
                seen.add(call)
                profile.inclusive.setdefault(thread, Counter())[call] += count
    return profile
