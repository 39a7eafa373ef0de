"""`make bench`: relay's write paths and queue under load, against a measured floor.

One command, a few minutes on 2 cores, for each backend (SQLite, then PostgreSQL on a
throwaway durable cluster, bench/pgcluster.py), each against its own floor:
  1. the floor: a bare aiohttp handler doing one INSERT, committed, per POST (aiosqlite, or
     psycopg connections; bench/floor_server.py, its own process), under relay's submit load;
  2. relay (`relay serve` as a subprocess on a temporary database and keys) with many active
     cases and party sessions seeded through the HTTP API: submit, then approve;
  3. the first page of the practitioners' queue with 1k, 100k and 1M stored items;
  4. the server's peak memory (VmHWM), and py-spy profiles of submit and approve.
It prints a table and writes bench/results/latest.json. See bench/README.md.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import platform
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

# bench/ is not a package: its helpers are imported as siblings of this script.
sys.path.insert(0, str(Path(__file__).resolve().parent))

import letters
import loadgen
import pgcluster
import seeding
import spy
import stores
from loadgen import LoadResult, Record

HERE = Path(__file__).resolve().parent
RESULTS = HERE / "results"
SPECIALIST = "benchspec"
# Targets from issue 12 (reported against, never tuned to); issue 7 had asked 0.5x and 25 ms.
TARGET_RATIO = 0.2
TARGET_P99_MS = 50.0
TARGET_QUEUE_MS = 10.0
BACKENDS = ("sqlite", "postgresql")
QUEUE_VIEWS = {
    "specialist": "specialist",
    "volunteer": "volunteer, 1 of 10 cases",
    "delivered": "specialist, ?state=delivered",
}


def say(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", flush=True)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _status_kib(pid: int, field: str) -> int:
    with contextlib.suppress(OSError):
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(field + ":"):
                return int(line.split()[1])
    return 0


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process, all its threads included (0 if it is gone)."""
    with contextlib.suppress(OSError, IndexError, ValueError):
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    return 0.0


def _children(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        with contextlib.suppress(OSError):
            stat = (entry / "stat").read_text()
            ppid = int(stat.rsplit(")", 1)[1].split()[1])
            if ppid == pid:
                found.append(int(entry.name))
    return found


def descendants(pid: int) -> list[int]:
    result, todo = [], [pid]
    while todo:
        for child in _children(todo.pop()):
            result.append(child)
            todo.append(child)
    return result


class Server:
    """A server subprocess: started, waited for on its port, stopped by its own pid."""

    def __init__(self, name: str, argv: list[str], env: dict[str, str], port: int, log: Path):
        self.name, self.argv, self.env, self.port, self.log = name, argv, env, port, log
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def pid(self) -> int:
        assert self.process is not None
        return self.process.pid

    @property
    def store(self) -> stores.Store:
        return stores.for_env(self.env)

    @property
    def keys(self) -> Path:
        return Path(self.env["RELAY_KEYS"])

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> Server:
        with self.log.open("ab") as log:
            self.process = subprocess.Popen(
                self.argv, env=self.env, stdout=log, stderr=subprocess.STDOUT, cwd=self.log.parent
            )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"{self.name} exited at start; see {self.log}")
            with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", self.port)):
                return self
            time.sleep(0.05)
        raise RuntimeError(f"{self.name} did not listen on {self.port} within 60 s; see {self.log}")

    def memory(self) -> dict[str, float]:
        """Peak (VmHWM) and current RSS of the server, and the peak of its child processes."""
        kids = descendants(self.pid)
        return {
            "server_peak_mib": round(_status_kib(self.pid, "VmHWM") / 1024, 1),
            "server_rss_mib": round(_status_kib(self.pid, "VmRSS") / 1024, 1),
            "children": len(kids),
            "children_peak_mib_max": round(
                max((_status_kib(k, "VmHWM") for k in kids), default=0) / 1024, 1
            ),
        }

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=10)


@contextlib.contextmanager
def running(server: Server) -> Iterator[Server]:
    server.start()
    try:
        yield server
    finally:
        server.stop()


def relay_env(root: Path, port: int, database_url: str | None = None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("RELAY_")}
    if database_url:
        env["RELAY_DATABASE_URL"] = database_url  # PostgreSQL; RELAY_DB is then unused
    env.update(
        RELAY_DB=str(root / "relay.db"),
        RELAY_KEYS=str(root / "keys"),
        RELAY_HOST="127.0.0.1",
        RELAY_PORT=str(port),
        RELAY_MAILDIR=str(root / "outbox"),
        RELAY_PASSWORD=seeding.PASSWORD,
        # Only logins and activations hash passwords, and neither is benchmarked: a cheap
        # argon2 makes seeding fast without touching what is measured.
        RELAY_ARGON2_TIME_COST="1",
        RELAY_ARGON2_MEMORY_KIB="8192",
    )
    return env


def relay_argv(*args: str) -> list[str]:
    script = Path(sys.executable).with_name("relay")
    if script.exists():
        return [str(script), *args]
    return [sys.executable, "-c", "from relay.cli import main; main()", *args]


def relay_server(root: Path, name: str = "relay", database_url: str | None = None) -> Server:
    root.mkdir(parents=True, exist_ok=True)
    port = free_port()
    env = relay_env(root, port, database_url)
    if not (root / "keys").exists():
        done = subprocess.run(
            relay_argv("init", "--username", SPECIALIST), env=env, capture_output=True, cwd=root
        )
        if done.returncode != 0:
            raise RuntimeError(f"relay init failed: {done.stderr.decode()[-2000:]}")
    argv = relay_argv("serve")
    if os.environ.get("BENCH_CPROFILE"):  # deterministic attribution, at cProfile's overhead
        profile = str(RESULTS / f"cprofile-{name}.prof")
        argv = [sys.executable, "-m", "cProfile", "-o", profile, "-m", "relay", "serve"]
    return Server(name, argv, env, port, root / "server.log")


@dataclass(frozen=True)
class Backend:
    """A database relay runs on, measured against a floor on the same database in this run."""

    name: str  # "sqlite" or "postgresql"
    cluster: pgcluster.Cluster | None = None  # PostgreSQL: the bench's own durable cluster

    @property
    def title(self) -> str:
        if self.cluster is None:
            return f"SQLite {sqlite3.sqlite_version} (WAL; relay synchronous=FULL)"
        return f"PostgreSQL {self.cluster.version} (fsync on, synchronous_commit on)"

    def database(self, run: str) -> str | None:
        """PostgreSQL: a fresh database for `run`, its URL. SQLite: None (a file per run)."""
        return self.cluster.create_database(f"bench_{run}") if self.cluster else None

    def pids(self) -> list[int]:
        """The database server's processes (PostgreSQL's), whose CPU the requests also use."""
        pid = self.cluster.postmaster_pid() if self.cluster else None
        return [pid, *descendants(pid)] if pid else []


# The floor runs of each backend: (results key, label). The first is what ratios are against.
FLOORS = {
    "sqlite": (
        ("floor", "floor: INSERT+COMMIT, synchronous=NORMAL"),
        ("floor_full", "floor: INSERT+COMMIT, synchronous=FULL"),
    ),
    "postgresql": (("floor", "floor: INSERT (autocommit), synchronous_commit=on"),),
}


class Bench:
    def __init__(self, args: argparse.Namespace, workdir: Path) -> None:
        self.args = args
        self.workdir = workdir
        self.results: dict[str, dict] = {}
        self.loads: list[tuple[str, float]] = []
        # CPU time per request of each measured run: less disturbed by other work on the
        # machine than req/s, so the better guide when comparing two versions of relay.
        self.cpu: dict[str, dict[str, int]] = {}

    def out(self, backend: Backend) -> dict:
        return self.results.setdefault(backend.name, {})

    def load(
        self, server: Server, records: list[Record], *, seconds: float, cycle: bool, conns: int
    ) -> LoadResult:
        return loadgen.run(
            server.url,
            records,
            connections=conns,
            seconds=seconds,
            cycle=cycle,
            workdir=self.workdir,
            tool=self.args.loadgen,
        )

    def measure(
        self,
        backend: Backend,
        label: str,
        server: Server,
        records: list[Record],
        *,
        cycle: bool = True,
        conns: int | None = None,
        seconds: float | None = None,
        warmup: list[Record] | None = None,
        warmup_seconds: float | None = None,
    ) -> LoadResult:
        label = f"{backend.name}: {label}"
        conns = conns or self.args.connections
        warm = self.args.warmup if warmup_seconds is None else warmup_seconds
        if warm > 0:
            self.load(server, warmup or records, seconds=warm, cycle=cycle, conns=conns)
        load = loadavg()
        groups = [[server.pid], descendants(server.pid), backend.pids()]
        before = [[cpu_seconds(pid) for pid in group] for group in groups]
        result = self.load(
            server, records, seconds=seconds or self.args.seconds, cycle=cycle, conns=conns
        )
        per = 1e6 / max(result.requests, 1)
        server_us, helpers_us, database_us = (
            round(sum(cpu_seconds(pid) - b for pid, b in zip(g, bs, strict=True)) * per)
            for g, bs in zip(groups, before, strict=True)
        )
        self.cpu[label] = {"server_us": server_us, "helpers_us": helpers_us}
        database = ""
        if backend.cluster is not None:
            self.cpu[label]["database_us"] = database_us
            database = f" + {database_us} µs in PostgreSQL"
        say(
            f"{label}: {result.rps:,.0f} req/s, p50 {result.p50_ms} ms, p99 {result.p99_ms} ms, "
            f"errors {result.errors}; CPU per request {server_us} µs in the server + "
            f"{helpers_us} µs in its child processes{database} (load average before: {load})"
        )
        self.loads.append((label, load))
        return result

    def profile(self, label: str, server: Server, records: list[Record], cycle: bool) -> dict:
        if self.args.no_profile or spy.py_spy() is None:
            return {"skipped": "py-spy not installed" if not self.args.no_profile else "off"}
        seconds = self.args.profile_seconds
        RESULTS.mkdir(exist_ok=True)
        recorder = spy.Recorder(server.pid, seconds, RESULTS / f"profile-{label}.txt")
        # The scanner pool's workers (child processes, or grandchildren under a forkserver) do
        # the scanning; idle helpers (a forkserver, the resource tracker) add no samples.
        workers = [
            spy.Recorder(pid, seconds, self.workdir / f"profile-{label}-{pid}.txt")
            for pid in descendants(server.pid)
        ]
        time.sleep(0.3)
        self.load(server, records, seconds=seconds + 1, cycle=cycle, conns=self.args.connections)
        profile = recorder.wait()
        for worker in workers:
            with contextlib.suppress(RuntimeError):  # a child that exited or is not Python
                profile = worker.wait("scanner processes", profile)
        return profile.as_json()

    # 1. the floor -------------------------------------------------------------------------

    def floor(self, backend: Backend, submit_records: list[Record]) -> None:
        for key, label in FLOORS[backend.name]:
            root = self.workdir / f"{backend.name}-{key}"
            root.mkdir()
            port = free_port()
            argv = [sys.executable, str(HERE / "floor_server.py"), "--port", str(port)]
            argv += self.floor_args(backend, key, root)
            server = Server(key, argv, dict(os.environ), port, root / "server.log")
            with running(server):
                result = self.measure(backend, label, server, submit_records)
            self.out(backend)[key] = result.as_json()

    def floor_args(self, backend: Backend, key: str, root: Path) -> list[str]:
        url = backend.database(key)
        if url is not None:
            return ["--database-url", url, "--connections", str(self.args.pg_floor_connections)]
        sync = "FULL" if key == "floor_full" else "NORMAL"
        return ["--db", str(root / "floor.db"), "--synchronous", sync]

    # 2. relay: submit and approve ---------------------------------------------------------

    def writes(self, backend: Backend, texts: list[str]) -> None:
        root = self.workdir / f"{backend.name}-relay"
        server = relay_server(root, f"relay-{backend.name}", backend.database("relay"))
        with running(server):
            say(f"{backend.name}: seeding {self.args.cases} active cases through the API")
            world = asyncio.run(seeding.seed_world(server.url, SPECIALIST, self.args.cases))
            self.submit(backend, server, world, texts)
            self.approve(backend, server, world)
            self.out(backend)["memory"] = server.memory()

    def submit(
        self, backend: Backend, server: Server, world: seeding.World, texts: list[str]
    ) -> None:
        records = submit_records(world, texts)
        # The scanner processes start with the first letter (relay/scanning.py): how long do
        # the first letters to a fresh server wait? Sent one at a time, before any load.
        first = loadgen.one_at_a_time(server.url, records[:3])
        say(f"{backend.name}: first letters after start, one at a time: {first} (status, ms)")
        result = self.measure(backend, "submit", server, records)
        entry = {**result.as_json(), "first_letters_status_ms": first}
        entry["ratio_to_floor"] = ratio(result.rps, self.out(backend).get("floor", {}).get("rps"))
        entry["pending_after_submit"] = seeding.item_states(server.store).get("pending", 0)
        entry["profile"] = self.profile(f"{backend.name}-submit", server, records, cycle=True)
        entry["memory_after"] = server.memory()
        self.out(backend)["submit"] = entry

    def approve(self, backend: Backend, server: Server, world: seeding.World) -> None:
        # Each request decides a different pending item, which (the case being active and no
        # delivery window set) is delivered in the same transaction.
        seeding.wait_quiet(server.store)
        need = int(self.args.approve_items)
        say(f"{backend.name}: seeding {need:,} pending letters for approve (direct, encrypted)")
        approve_texts = letters.letters(256, seed=11, slips=False)
        ids = seeding.seed_pending(server.store, server.keys, world.cases, approve_texts, need)
        chunks = split_ids(ids, self.args)
        make = lambda part: approve_records(world.staff_token, part)  # noqa: E731
        result = self.measure(
            backend,
            "approve",
            server,
            make(chunks["measure"]),
            cycle=False,
            warmup=make(chunks["warmup"]),
        )
        floor = self.out(backend).get("floor", {}).get("rps")
        entry = {**result.as_json(), "ratio_to_floor": ratio(result.rps, floor)}
        label = f"{backend.name}-approve"
        entry["profile"] = self.profile(label, server, make(chunks["profile"]), cycle=False)
        entry["items_available"] = len(chunks["measure"])
        entry["states_after"] = seeding.item_states(server.store)
        self.out(backend)["approve"] = entry

    # 3. the queue -------------------------------------------------------------------------

    def queue(self, backend: Backend, texts: list[str]) -> None:
        root = self.workdir / f"{backend.name}-queue"
        server = relay_server(root, f"relay-queue-{backend.name}", backend.database("queue"))
        with running(server):
            world = asyncio.run(seeding.seed_world(server.url, SPECIALIST, 10))
            volunteer = asyncio.run(
                seeding.add_volunteer(server.url, world.staff_token, "benchvol", world.cases[0].id)
            )
        sizes = self.args.pg_sizes if backend.cluster else self.args.sizes
        rows = []
        for size in sizes:
            say(f"{backend.name}: queue: growing the store to {size:,} items")
            started = time.monotonic()
            counts = seeding.grow_store(server.store, server.keys, world.cases, texts, size)
            server.store.flush()  # the seeding's dirty pages written out before measuring
            seeded_in = round(time.monotonic() - started, 1)
            with running(server):
                row: dict[str, object] = {**counts, "seed_seconds": seeded_in}
                for key, path, token in (
                    ("specialist", "/api/v1/queue", world.staff_token),
                    ("volunteer", "/api/v1/queue", volunteer),
                    ("delivered", "/api/v1/queue?state=delivered", world.staff_token),
                ):
                    result = self.measure(
                        backend,
                        f"queue {size:,} items ({QUEUE_VIEWS[key]}, 1 connection)",
                        server,
                        [Record("GET", path, token)],
                        conns=1,
                        seconds=self.args.queue_seconds,
                        warmup_seconds=self.args.queue_warmup,
                    )
                    row[key] = result.as_json()
                row["memory"] = server.memory()
            rows.append(row)
        self.out(backend)["queue"] = rows


def ratio(rps: float, floor: float | None) -> float | None:
    return round(rps / floor, 3) if floor else None


def loadavg() -> float:
    """The 1-minute load average: other work on this machine skews every number."""
    return float(Path("/proc/loadavg").read_text().split()[0])


def submit_records(world: seeding.World, texts: list[str]) -> list[Record]:
    tokens = world.party_tokens
    return [
        Record(
            "POST",
            "/api/v1/me/items",
            tokens[n % len(tokens)],
            json.dumps({"kind": "letter", "body": texts[(n * 7) % len(texts)]}),
        )
        for n in range(max(len(tokens), len(texts)) * 4)
    ]


def approve_records(token: str, ids: list[str]) -> list[Record]:
    body = seeding.decision_body()
    return [Record("POST", f"/api/v1/items/{i}/decision", token, body) for i in ids]


def split_ids(ids: list[str], args: argparse.Namespace) -> dict[str, list[str]]:
    """Warm-up, measured and profiled runs each approve their own items."""
    warm = ids[: len(ids) // 8] if args.warmup > 0 else []
    rest = ids[len(warm) :]
    prof = [] if args.no_profile else rest[: len(rest) // 4]
    return {"warmup": warm, "profile": prof, "measure": rest[len(prof) :]}


# Output -------------------------------------------------------------------------------------


def machine() -> dict[str, object]:
    wrk = loadgen.wrk_path()
    version = None
    if wrk:
        out = subprocess.run([wrk, "--version"], capture_output=True, text=True, check=False)
        version = (out.stdout or out.stderr).split("\n")[0].strip()
    return {
        "cores": os.cpu_count(),
        "python": platform.python_version(),
        "sqlite": sqlite3.sqlite_version,
        "wrk": version,
        "postgresql": pg_bin.parent.name if (pg_bin := pgcluster.bindir()) else None,
        "platform": platform.platform(),
    }


LABEL = 50


def profile_lines(results: dict, top: int = 5) -> list[str]:
    """The busiest lines of each profile: % of that thread's samples, waiting excluded."""
    lines = []
    for key in ("submit", "approve"):
        profile = results.get(key, {}).get("profile", {})
        if "self_top" not in profile:
            continue
        shares = ", ".join(f"{t} {p}%" for t, p in profile["threads"].items())
        lines.append(f"profile of {key} (py-spy, {profile['samples']} samples: {shares}):")
        for thread, rows in profile["self_top"].items():
            busy = [(frame, pct) for frame, pct in rows if frame != "(waiting)"][:top]
            waiting = next((pct for frame, pct in rows if frame == "(waiting)"), 0.0)
            lines.append(f"  {thread} (waiting {waiting}%):")
            lines += [f"    {pct:5.1f}%  {frame}" for frame, pct in busy]
    return lines


def failed_runs(results: dict) -> list[str]:
    """Runs where more than 1% of answers were errors: their numbers measure error paths."""
    runs = [(k, results[k]) for k in ("floor", "floor_full", "submit", "approve") if k in results]
    for row in results.get("queue", []):
        runs += [(f"queue {row['items']:,} {key}", row[key]) for key in QUEUE_VIEWS]
    return [
        f"{name}: {r['errors']:,} errors in {r['requests']:,} requests"
        for name, r in runs
        if r["requests"] and r["errors"] > 0.01 * r["requests"]
    ]


def _row(label: str, r: dict, floor: float | None) -> str:
    ratio = f"{r['rps'] / floor:.2f}x" if floor else ""
    return (
        f"{label:<{LABEL}} {r['rps']:>9,.0f} {r['p50_ms']:>8.2f} {r['p99_ms']:>8.2f} "
        f"{ratio:>7} {r['errors']:>7}"
    )


def measured(results: dict) -> list[tuple[str, dict]]:
    """(backend, its results) for each backend measured, in the order they ran."""
    return [(name, results[name]) for name in BACKENDS if name in results]


def section(name: str, results: dict, cpu: dict) -> list[str]:
    """One backend's rows: its floor, relay's writes as a fraction of it, the queue."""
    title = results.get("title", name)
    lines = [
        f"{title:<{LABEL}} {'req/s':>9} {'p50 ms':>8} {'p99 ms':>8} {'/floor':>7} {'errors':>7}"
    ]
    floor = results.get("floor", {}).get("rps")
    for key, label in (
        *FLOORS[name],
        ("submit", "submit  POST /me/items (1-3 KB, scanned)"),
        ("approve", "approve POST /items/{id}/decision (+deliver)"),
    ):
        if key in results:
            lines.append(_row(label, results[key], floor))
    for row in results.get("queue", []):
        for key, view in QUEUE_VIEWS.items():
            label = f"queue {row['items']:>9,} items: {view}"
            lines.append(_row(label, row[key], None))
    lines += memory_lines(results) + cpu_lines(name, cpu)
    first = results.get("submit", {}).get("first_letters_status_ms")
    if first:
        shown = ", ".join(f"{ms:,.0f} ms ({status})" for status, ms in first)
        lines.append(f"first letters to a fresh relay serve, one at a time: {shown}")
    lines += profile_lines(results)
    for problem in failed_runs(results):
        lines.append(f"WARNING, not a valid measurement: {problem} (see the server log)")
    return lines


def memory_lines(results: dict) -> list[str]:
    lines = []
    memory = results.get("memory")
    if memory:
        lines.append(
            f"peak RSS (VmHWM) of relay serve after submit+approve: "
            f"{memory['server_peak_mib']} MiB; largest child (scanner) "
            f"{memory['children_peak_mib_max']} MiB"
        )
    for row in results.get("queue", [])[-1:]:
        lines.append(
            f"peak RSS of relay serve at {row['items']:,} items: "
            f"{row['memory']['server_peak_mib']} MiB"
        )
    return lines


def cpu_lines(name: str, cpu: dict) -> list[str]:
    """CPU per request of the floor, submit and approve: server + its children (+ database)."""
    parts = []
    for short, label in (
        ("floor", FLOORS[name][0][1]),
        ("submit", "submit"),
        ("approve", "approve"),
    ):
        used = cpu.get(f"{name}: {label}")
        if used:
            parts.append(f"{short} " + " + ".join(f"{v:,}" for v in used.values()))
    if not parts:
        return []
    where = "server + its child processes" + (" + PostgreSQL" if name == "postgresql" else "")
    return [f"CPU per request (µs; {where}): " + "; ".join(parts)]


def table(results: dict) -> str:
    s = results["settings"]
    lines = [
        f"relay bench: {results['machine']['cores']} cores, load by {s['loadgen']}, "
        f"{s['connections']} connections, {s['seconds']} s per run"
    ]
    for name, found in measured(results):
        lines += ["", *section(name, found, results.get("cpu_per_request", {}))]
    lines.append("targets:")
    for name, met, detail in results["targets"]:
        lines.append(f"  [{'met' if met else 'NOT MET'}] {name}: {detail}")
    return "\n".join(lines)


def targets(results: dict) -> list[tuple[str, bool, str]]:
    found = []
    for name, r in measured(results):
        found += [(f"{name}: {what}", met, detail) for what, met, detail in backend_targets(r)]
    return found


def backend_targets(results: dict) -> list[tuple[str, bool, str]]:
    found = []
    floor = results.get("floor", {}).get("rps")
    for key in ("submit", "approve"):
        if key in results and floor:
            r = results[key]
            ratio = r["rps"] / floor
            found.append(
                (
                    f"{key} >= {TARGET_RATIO}x floor",
                    ratio >= TARGET_RATIO,
                    f"{ratio:.2f}x ({r['rps']:,.0f} vs {floor:,.0f} req/s)",
                )
            )
            found.append(
                (
                    f"{key} p99 < {TARGET_P99_MS:g} ms at {r['connections']} connections",
                    r["p99_ms"] < TARGET_P99_MS,
                    f"{r['p99_ms']} ms",
                )
            )
    for row in results.get("queue", []):
        if row["items"] >= 1_000_000:
            p99 = row["specialist"]["p99_ms"]
            found.append(
                (
                    f"queue page < {TARGET_QUEUE_MS:g} ms at {row['items']:,} items",
                    p99 < TARGET_QUEUE_MS,
                    f"p50 {row['specialist']['p50_ms']} ms, p99 {p99} ms",
                )
            )
    return found


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description="relay's load benchmark (see bench/README.md)")
    parser.add_argument("--seconds", type=float, default=10, help="measured seconds per run")
    parser.add_argument("--warmup", type=float, default=2, help="warm-up seconds before each")
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--cases", type=int, default=32, help="active cases (2 parties each)")
    parser.add_argument("--approve-items", type=int, default=40_000)
    parser.add_argument("--sizes", default="1000,100000,1000000", help="queue store sizes")
    parser.add_argument("--pg-sizes", default=None, help="queue sizes on PostgreSQL (--sizes)")
    parser.add_argument("--queue-seconds", type=float, default=4)
    parser.add_argument(
        "--queue-warmup",
        type=float,
        default=3.0,
        help="seconds of queue reads before each measured queue run (a restarted server's "
        "first seconds on a fresh 1M store include a few 50-90 ms reads)",
    )
    parser.add_argument("--profile-seconds", type=float, default=6)
    parser.add_argument("--no-profile", action="store_true")
    parser.add_argument("--loadgen", choices=("auto", "wrk", "aiohttp"), default="auto")
    parser.add_argument("--backends", default=",".join(BACKENDS), help="sqlite,postgresql")
    parser.add_argument(
        "--pg-floor-connections", type=int, default=16, help="the PostgreSQL floor's connections"
    )
    parser.add_argument("--only", default="floor,writes,queue", help="phases to run")
    parser.add_argument("--keep", action="store_true", help="keep the temporary folder")
    parser.add_argument("--out", type=Path, default=RESULTS / "latest.json")
    args = parser.parse_args()
    args.sizes = [int(x) for x in args.sizes.split(",") if x]
    args.pg_sizes = (
        args.sizes if args.pg_sizes is None else [int(x) for x in args.pg_sizes.split(",") if x]
    )
    args.backends = [b for b in args.backends.split(",") if b]
    if unknown := set(args.backends) - set(BACKENDS):
        parser.error(f"unknown backend(s) {', '.join(sorted(unknown))}: choose from {BACKENDS}")
    if args.loadgen == "auto":
        args.loadgen = "wrk" if loadgen.wrk_path() else "aiohttp"
    return args


def settings(args: argparse.Namespace) -> dict[str, object]:
    return {
        "loadgen": args.loadgen,
        "connections": args.connections,
        "seconds": args.seconds,
        "warmup": args.warmup,
        "cases": args.cases,
        "backends": args.backends,
        "argon2": "lowered (time_cost=1, 8 MiB): logins are not benchmarked",
        "sqlite": "relay synchronous=FULL (relay/storage/backends.py); queue sizes "
        + ",".join(map(str, args.sizes)),
        "postgresql": {
            **pgcluster.SETTINGS,
            "floor_connections": args.pg_floor_connections,
            "queue_sizes": args.pg_sizes,
        },
    }


def run_backend(bench: Bench, name: str, phases: set[str], texts: list[str]) -> None:
    """Every phase asked for on one backend; PostgreSQL on a cluster started for it."""
    with contextlib.ExitStack() as stack:
        cluster = None
        if name == "postgresql":
            if pgcluster.bindir() is None:
                say("PostgreSQL is not installed (apt-get install postgresql): its runs skipped")
                return
            cluster = stack.enter_context(pgcluster.cluster(RESULTS / "logs" / "postgresql.log"))
        backend = Backend(name, cluster)
        bench.out(backend)["title"] = backend.title
        say(f"{backend.title}")
        if "floor" in phases:
            say(f"{name}: floor: bare aiohttp, one INSERT committed per request")
            bench.floor(backend, submit_records(_placeholder_world(bench.args.cases), texts))
        if "writes" in phases:
            bench.writes(backend, texts)
        if "queue" in phases:
            bench.queue(backend, texts)


def main() -> None:
    args = parse_args()
    if args.loadgen == "aiohttp":
        say("wrk not found (apt-get install wrk): using the aiohttp load generator")
    started = time.monotonic()
    workdir = Path(tempfile.mkdtemp(prefix="relay-bench-"))
    bench = Bench(args, workdir)
    bench.results["machine"] = machine()
    bench.results["settings"] = settings(args)
    texts = letters.letters(512)
    try:
        for name in args.backends:
            run_backend(bench, name, set(args.only.split(",")), texts)
    finally:
        logs = RESULTS / "logs"
        logs.mkdir(parents=True, exist_ok=True)
        for log in workdir.glob("*/server.log"):
            shutil.copy(log, logs / f"{log.parent.name}.log")
        if args.keep:
            say(f"kept {workdir}")
        else:
            shutil.rmtree(workdir, ignore_errors=True)
    results = bench.results
    results["load_average_before_each_run"] = dict(bench.loads)
    results["cpu_per_request"] = bench.cpu
    results["targets"] = targets(results)
    results["seconds_total"] = round(time.monotonic() - started, 1)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(results, indent=2, default=str) + "\n")
    print()
    print(table(results))
    print(f"\n{results['seconds_total']} s in all; JSON in {args.out}")


def _placeholder_world(cases: int) -> seeding.World:
    """Tokens for the floor's copy of the submit load (the floor ignores them)."""
    fake = [
        seeding.SeededCase(
            f"c{n}", "h", "r", f"tok-h-{n:04d}-" + "x" * 30, f"tok-r-{n:04d}-" + "x" * 30
        )
        for n in range(cases)
    ]
    return seeding.World("staff", fake)


if __name__ == "__main__":
    main()
