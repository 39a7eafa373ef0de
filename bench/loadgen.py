"""Load generation: wrk with a Lua script when it is installed, else an aiohttp client.

Both replay the same records (method, path, bearer token, JSON body) with the same partitioning:
connection/thread k of n sends records k, k+n, ... so that with `cycle=False` every record is
sent at most once (each approve decides a different item). Both report requests/s, latency
percentiles and the count of non-2xx answers and socket errors.

The aiohttp fallback runs in two processes (one per core, like wrk's two threads): a single
Python process would be the bottleneck long before the server is.
"""

from __future__ import annotations

import asyncio
import json
import multiprocessing
import shutil
import subprocess
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path

LUA = Path(__file__).with_name("requests.lua")


@dataclass(frozen=True, slots=True)
class Record:
    method: str
    path: str
    token: str = ""
    body: str = ""  # JSON text, one line


@dataclass(frozen=True, slots=True)
class LoadResult:
    tool: str
    connections: int
    seconds: float
    requests: int
    rps: float
    p50_ms: float
    p90_ms: float
    p99_ms: float
    max_ms: float
    errors: int  # non-2xx answers + socket errors + timeouts
    exhausted: int  # requests beyond the end of the records (cycle=False only)

    def as_json(self) -> dict[str, object]:
        return asdict(self)


def wrk_path() -> str | None:
    return shutil.which("wrk")


def write_records(records: Sequence[Record], path: Path) -> Path:
    with path.open("w", encoding="utf-8") as out:
        for r in records:
            if any(ch in field for field in (r.path, r.token, r.body) for ch in "\t\n"):
                raise ValueError("records must not contain tabs or newlines")
            out.write(f"{r.method}\t{r.path}\t{r.token}\t{r.body}\n")
    return path


def run(
    base_url: str,
    records: Sequence[Record],
    *,
    connections: int,
    seconds: float,
    cycle: bool,
    workdir: Path,
    tool: str = "auto",
) -> LoadResult:
    """Send `records` at `base_url` from `connections` connections for `seconds`."""
    use_wrk = tool == "wrk" or (tool == "auto" and wrk_path() is not None)
    if use_wrk:
        return _run_wrk(base_url, records, connections, seconds, cycle, workdir)
    return _run_aiohttp(base_url, records, connections, seconds, cycle)


def one_at_a_time(base_url: str, records: Sequence[Record]) -> list[tuple[int, float]]:
    """(status, ms) of each record sent alone, in order, on one connection: how long the very
    first requests to a freshly started server take, before any load warms it."""
    import aiohttp

    async def main() -> list[tuple[int, float]]:
        found = []
        async with aiohttp.ClientSession(base_url) as session:
            for r in records:
                headers = {"Authorization": f"Bearer {r.token}"} if r.token else {}
                if r.body:
                    headers["Content-Type"] = "application/json"
                started = time.perf_counter()
                async with session.request(
                    r.method, r.path, data=r.body.encode() or None, headers=headers
                ) as response:
                    await response.read()
                found.append((response.status, round((time.perf_counter() - started) * 1000, 1)))
        return found

    return asyncio.run(main())


# wrk ---------------------------------------------------------------------------------------


def _run_wrk(
    base_url: str,
    records: Sequence[Record],
    connections: int,
    seconds: float,
    cycle: bool,
    workdir: Path,
) -> LoadResult:
    wrk = wrk_path()
    if wrk is None:
        raise RuntimeError("wrk is not installed: `apt-get install wrk`, or use --loadgen aiohttp")
    threads = min(2, connections)
    data = write_records(records, workdir / "records.tsv")
    command = [
        wrk,
        f"-t{threads}",
        f"-c{connections}",
        f"-d{max(1, round(seconds))}s",
        "--timeout",
        "10s",
        "-s",
        str(LUA),
        base_url,
        "--",
        str(data),
        str(threads),
        "cycle" if cycle else "once",
    ]
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    line = next((x for x in done.stdout.splitlines() if x.startswith("WRKJSON ")), None)
    if done.returncode != 0 or line is None:
        raise RuntimeError(f"wrk failed ({done.returncode}): {done.stderr or done.stdout}")
    raw = json.loads(line.removeprefix("WRKJSON "))
    elapsed = raw["duration_us"] / 1e6
    errors = sum(raw[k] for k in ("connect", "read", "write", "status", "timeout"))
    return LoadResult(
        tool="wrk",
        connections=connections,
        seconds=round(elapsed, 2),
        requests=raw["requests"],
        rps=round(raw["requests"] / elapsed, 1),
        p50_ms=round(raw["p50_us"] / 1000, 2),
        p90_ms=round(raw["p90_us"] / 1000, 2),
        p99_ms=round(raw["p99_us"] / 1000, 2),
        max_ms=round(raw["max_us"] / 1000, 2),
        errors=errors,
        exhausted=raw["exhausted"],
    )


# aiohttp fallback --------------------------------------------------------------------------


def _percentile(ordered: Sequence[float], p: float) -> float:
    if not ordered:
        return 0.0
    index = min(len(ordered) - 1, max(0, round(p / 100 * len(ordered)) - 1))
    return ordered[index]


async def _worker_loop(
    base_url: str,
    records: Sequence[Record],
    first: int,
    stride: int,
    cycle: bool,
    deadline: float,
    session,  # type: ignore[no-untyped-def]
    latencies: list[float],
    counters: dict[str, int],
) -> None:
    import aiohttp

    index = first
    while time.perf_counter() < deadline:
        if index >= len(records):
            if not cycle:
                counters["exhausted"] += 1
            index = first % max(1, len(records))
        r = records[index]
        index += stride
        headers = {}
        if r.token:
            headers["Authorization"] = f"Bearer {r.token}"
        if r.body:
            headers["Content-Type"] = "application/json"
        started = time.perf_counter()
        try:
            async with session.request(
                r.method, base_url + r.path, data=r.body.encode() or None, headers=headers
            ) as response:
                await response.read()
                if not 200 <= response.status < 400:
                    counters["errors"] += 1
        except (aiohttp.ClientError, TimeoutError):
            counters["errors"] += 1
        latencies.append(time.perf_counter() - started)


def _process_main(
    base_url: str,
    records: Sequence[Record],
    workers: Sequence[int],
    stride: int,
    cycle: bool,
    start_at: float,
    seconds: float,
) -> tuple[list[float], dict[str, int], float]:
    import aiohttp

    async def main() -> tuple[list[float], dict[str, int], float]:
        latencies: list[float] = []
        counters = {"errors": 0, "exhausted": 0}
        connector = aiohttp.TCPConnector(limit=len(workers), force_close=False)
        timeout = aiohttp.ClientTimeout(total=10)
        async with aiohttp.ClientSession(connector=connector, timeout=timeout) as session:
            # Open the connections before the clock starts, like wrk does.
            await asyncio.sleep(max(0.0, start_at - time.time()))
            began = time.perf_counter()
            deadline = began + seconds
            await asyncio.gather(
                *(
                    _worker_loop(
                        base_url, records, w, stride, cycle, deadline, session, latencies, counters
                    )
                    for w in workers
                )
            )
            return latencies, counters, time.perf_counter() - began

    return asyncio.run(main())


def _run_aiohttp(
    base_url: str, records: Sequence[Record], connections: int, seconds: float, cycle: bool
) -> LoadResult:
    processes = min(2, connections)
    plan = [list(range(p, connections, processes)) for p in range(processes)]
    context = multiprocessing.get_context("spawn")
    start_at = time.time() + 1.5  # the children need a moment to start
    with context.Pool(processes) as pool:
        results = pool.starmap(
            _process_main,
            [(base_url, records, w, connections, cycle, start_at, seconds) for w in plan],
        )
    latencies = sorted(x for lat, _, _ in results for x in lat)
    elapsed = max(e for _, _, e in results)
    errors = sum(c["errors"] for _, c, _ in results)
    exhausted = sum(c["exhausted"] for _, c, _ in results)
    ms = [x * 1000 for x in latencies]
    return LoadResult(
        tool="aiohttp",
        connections=connections,
        seconds=round(elapsed, 2),
        requests=len(ms),
        rps=round(len(ms) / elapsed, 1),
        p50_ms=round(_percentile(ms, 50), 2),
        p90_ms=round(_percentile(ms, 90), 2),
        p99_ms=round(_percentile(ms, 99), 2),
        max_ms=round(ms[-1] if ms else 0.0, 2),
        errors=errors,
        exhausted=exhausted,
    )
