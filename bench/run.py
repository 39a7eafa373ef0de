"""`make bench`: relay's write paths and queue under load, against a measured floor.

One command, a few minutes on 2 cores:
  1. the floor: a bare aiohttp handler doing one aiosqlite INSERT + COMMIT per POST
     (bench/floor_server.py, its own process), under the same load as relay's submit;
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
from pathlib import Path

# bench/ is not a package: its helpers are imported as siblings of this script.
sys.path.insert(0, str(Path(__file__).resolve().parent))

import letters
import loadgen
import seeding
import spy
from loadgen import LoadResult, Record

HERE = Path(__file__).resolve().parent
RESULTS = HERE / "results"
SPECIALIST = "benchspec"
# Targets from issue 7 (reported against, never tuned to).
TARGET_RATIO = 0.5
TARGET_P99_MS = 25.0
TARGET_QUEUE_MS = 10.0
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
    def db(self) -> Path:
        return Path(self.env["RELAY_DB"])

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


def relay_env(root: Path, port: int) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("RELAY_")}
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


def relay_server(root: Path, name: str = "relay") -> Server:
    root.mkdir(parents=True, exist_ok=True)
    port = free_port()
    env = relay_env(root, port)
    if not (root / "relay.db").exists():
        subprocess.run(
            relay_argv("init", "--username", SPECIALIST),
            env=env,
            check=True,
            capture_output=True,
            cwd=root,
        )
    argv = relay_argv("serve")
    if os.environ.get("BENCH_CPROFILE"):  # deterministic attribution, at cProfile's overhead
        profile = str(RESULTS / f"cprofile-{name}.prof")
        argv = [sys.executable, "-m", "cProfile", "-o", profile, "-m", "relay", "serve"]
    return Server(name, argv, env, port, root / "server.log")


class Bench:
    def __init__(self, args: argparse.Namespace, workdir: Path) -> None:
        self.args = args
        self.workdir = workdir
        self.results: dict[str, object] = {}
        self.loads: list[tuple[str, float]] = []
        # CPU time per request of each measured run: less disturbed by other work on the
        # machine than req/s, so the better guide when comparing two versions of relay.
        self.cpu: dict[str, dict[str, int]] = {}

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
        conns = conns or self.args.connections
        warm = self.args.warmup if warmup_seconds is None else warmup_seconds
        if warm > 0:
            self.load(server, warmup or records, seconds=warm, cycle=cycle, conns=conns)
        load = loadavg()
        helpers = descendants(server.pid)
        cpu_before = [cpu_seconds(pid) for pid in (server.pid, *helpers)]
        result = self.load(
            server, records, seconds=seconds or self.args.seconds, cycle=cycle, conns=conns
        )
        pids = (server.pid, *helpers)
        cpu = [cpu_seconds(pid) - b for pid, b in zip(pids, cpu_before, strict=True)]
        per = 1e6 / max(result.requests, 1)
        self.cpu[label] = {
            "server_us": round(cpu[0] * per),
            "helpers_us": round(sum(cpu[1:]) * per),
        }
        say(
            f"{label}: {result.rps:,.0f} req/s, p50 {result.p50_ms} ms, p99 {result.p99_ms} ms, "
            f"errors {result.errors}; CPU per request {self.cpu[label]['server_us']} µs in the "
            f"server + {self.cpu[label]['helpers_us']} µs in its child processes "
            f"(load average before: {load})"
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

    def floor(self, submit_records: list[Record]) -> None:
        for key, sync in (("floor", "NORMAL"), ("floor_full", "FULL")):
            root = self.workdir / key
            root.mkdir()
            port = free_port()
            argv = [
                sys.executable,
                str(HERE / "floor_server.py"),
                "--db",
                str(root / "floor.db"),
                "--port",
                str(port),
                "--synchronous",
                sync,
            ]
            server = Server(key, argv, dict(os.environ), port, root / "server.log")
            with running(server):
                result = self.measure(f"floor (synchronous={sync})", server, submit_records)
            self.results[key] = result.as_json()

    # 2. relay: submit and approve ---------------------------------------------------------

    def writes(self, texts: list[str]) -> None:
        server = relay_server(self.workdir / "relay")
        with running(server):
            say(f"seeding {self.args.cases} active cases through the API")
            world = asyncio.run(seeding.seed_world(server.url, SPECIALIST, self.args.cases))
            submit = submit_records(world, texts)
            result = self.measure("submit", server, submit)
            floor = self.results.get("floor", {}).get("rps")  # type: ignore[attr-defined]
            entry = {**result.as_json(), "ratio_to_floor": ratio(result.rps, floor)}
            states = seeding.item_states(server.db)
            entry["pending_after_submit"] = states.get("pending", 0)
            entry["profile"] = self.profile("submit", server, submit, cycle=True)
            entry["memory_after"] = server.memory()
            self.results["submit"] = entry

            # Approve: each request decides a different pending item, which (the case being
            # active and no delivery window set) is delivered in the same transaction.
            seeding.wait_quiet(server.db)
            need = int(self.args.approve_items)
            say(f"seeding {need:,} pending letters for approve (direct insert, encrypted)")
            approve_texts = letters.letters(256, seed=11, slips=False)
            ids = seeding.seed_pending(server.db, server.keys, world.cases, approve_texts, need)
            chunks = split_ids(ids, self.args)
            make = lambda part: approve_records(world.staff_token, part)  # noqa: E731
            result = self.measure(
                "approve",
                server,
                make(chunks["measure"]),
                cycle=False,
                warmup=make(chunks["warmup"]),
            )
            entry = {**result.as_json(), "ratio_to_floor": ratio(result.rps, floor)}
            entry["profile"] = self.profile("approve", server, make(chunks["profile"]), cycle=False)
            entry["items_available"] = len(chunks["measure"])
            entry["states_after"] = seeding.item_states(server.db)
            self.results["approve"] = entry
            self.results["memory"] = server.memory()

    # 3. the queue -------------------------------------------------------------------------

    def queue(self, texts: list[str]) -> None:
        root = self.workdir / "queue"
        server = relay_server(root, "relay-queue")
        with running(server):
            world = asyncio.run(seeding.seed_world(server.url, SPECIALIST, 10))
            volunteer = asyncio.run(
                seeding.add_volunteer(server.url, world.staff_token, "benchvol", world.cases[0].id)
            )
        rows = []
        for size in self.args.sizes:
            say(f"queue: growing the store to {size:,} items")
            started = time.monotonic()
            counts = seeding.grow_store(server.db, server.keys, world.cases, texts, size)
            # The seeding leaves up to a gigabyte of dirty pages; write them out now, or the
            # kernel's writeback lands in the measured run and relay's fsyncs queue behind it.
            os.sync()
            seeded_in = round(time.monotonic() - started, 1)
            with running(server):
                row: dict[str, object] = {**counts, "seed_seconds": seeded_in}
                for key, path, token in (
                    ("specialist", "/api/v1/queue", world.staff_token),
                    ("volunteer", "/api/v1/queue", volunteer),
                    ("delivered", "/api/v1/queue?state=delivered", world.staff_token),
                ):
                    result = self.measure(
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
        self.results["queue"] = rows


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


def table(results: dict) -> str:
    s = results["settings"]
    lines = [
        f"relay bench: {results['machine']['cores']} cores, load by {s['loadgen']}, "
        f"{s['connections']} connections, {s['seconds']} s per run",
        f"{'':<{LABEL}} {'req/s':>9} {'p50 ms':>8} {'p99 ms':>8} {'/floor':>7} {'errors':>7}",
    ]
    floor = results.get("floor", {}).get("rps")
    for key, label in (
        ("floor", "floor: INSERT+COMMIT, synchronous=NORMAL"),
        ("floor_full", "floor: INSERT+COMMIT, synchronous=FULL"),
        ("submit", "submit  POST /me/items (1-3 KB, scanned)"),
        ("approve", "approve POST /items/{id}/decision (+deliver)"),
    ):
        if key in results:
            lines.append(_row(label, results[key], floor))
    for row in results.get("queue", []):
        for key, view in QUEUE_VIEWS.items():
            label = f"queue {row['items']:>9,} items: {view}"
            lines.append(_row(label, row[key], None))
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
    lines += profile_lines(results)
    for problem in failed_runs(results):
        lines.append(f"WARNING, not a valid measurement: {problem} (see the server log)")
    lines.append("targets:")
    for name, met, detail in results["targets"]:
        lines.append(f"  [{'met' if met else 'NOT MET'}] {name}: {detail}")
    return "\n".join(lines)


def targets(results: dict) -> list[tuple[str, bool, str]]:
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


def main() -> None:
    parser = argparse.ArgumentParser(description="relay's load benchmark (see bench/README.md)")
    parser.add_argument("--seconds", type=float, default=10, help="measured seconds per run")
    parser.add_argument("--warmup", type=float, default=2, help="warm-up seconds before each")
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--cases", type=int, default=32, help="active cases (2 parties each)")
    parser.add_argument("--approve-items", type=int, default=40_000)
    parser.add_argument("--sizes", default="1000,100000,1000000", help="queue store sizes")
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
    parser.add_argument("--only", default="floor,writes,queue", help="phases to run")
    parser.add_argument("--keep", action="store_true", help="keep the temporary folder")
    parser.add_argument("--out", type=Path, default=RESULTS / "latest.json")
    args = parser.parse_args()
    args.sizes = [int(x) for x in args.sizes.split(",") if x]
    phases = set(args.only.split(","))
    if args.loadgen == "auto":
        args.loadgen = "wrk" if loadgen.wrk_path() else "aiohttp"
    if args.loadgen == "aiohttp":
        say("wrk not found (apt-get install wrk): using the aiohttp load generator")

    started = time.monotonic()
    workdir = Path(tempfile.mkdtemp(prefix="relay-bench-"))
    bench = Bench(args, workdir)
    bench.results["machine"] = machine()
    bench.results["settings"] = {
        "loadgen": args.loadgen,
        "connections": args.connections,
        "seconds": args.seconds,
        "warmup": args.warmup,
        "cases": args.cases,
        "argon2": "lowered (time_cost=1, 8 MiB): logins are not benchmarked",
        "relay_synchronous": "FULL (relay/storage/db.py)",
    }
    texts = letters.letters(512)
    try:
        if "floor" in phases:
            say("floor: bare aiohttp + aiosqlite INSERT/COMMIT per request")
            bench.floor(submit_records(_placeholder_world(args.cases), texts))
        if "writes" in phases:
            bench.writes(texts)
        if "queue" in phases:
            bench.queue(texts)
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
