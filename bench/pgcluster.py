"""A throwaway PostgreSQL cluster for the bench, durable like a production one.

The same commands as scripts/with-postgres (initdb and pg_ctl from Debian's newest
/usr/lib/postgresql/*/bin, run as the `postgres` user through runuser when we are root; trust
authentication on loopback; its socket in its own folder), but with durable settings: the test
script turns fsync off, and the bench measures commits. Each bench run gets a database of its
own (`create_database`).
"""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

# Written out although they are PostgreSQL's defaults: the point is that this cluster keeps
# them (an acknowledged commit is on disk, as relay's SQLite synchronous=FULL).
SETTINGS = {
    "fsync": "on",
    "synchronous_commit": "on",
    "full_page_writes": "on",
    "listen_addresses": "127.0.0.1",
    "max_connections": "100",
}


def bindir() -> Path | None:
    """The newest installed server's bin folder, or None (apt-get install postgresql)."""
    found = [p for p in Path("/usr/lib/postgresql").glob("*/bin") if (p / "initdb").exists()]
    found.sort(key=lambda p: int(p.parent.name) if p.parent.name.isdigit() else 0)
    return found[-1] if found else None


@dataclass(frozen=True)
class Cluster:
    folder: Path
    port: int
    bin: Path

    @property
    def version(self) -> str:
        return self.bin.parent.name

    def url(self, dbname: str = "postgres") -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/{dbname}"

    def create_database(self, name: str) -> str:
        """A new, empty database `name` (dropped first if it exists); its URL."""
        import psycopg
        from psycopg import sql

        with psycopg.connect(self.url(), autocommit=True) as conn:
            conn.execute(sql.SQL("DROP DATABASE IF EXISTS {}").format(sql.Identifier(name)))
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
        return self.url(name)

    def postmaster_pid(self) -> int | None:
        with contextlib.suppress(OSError, ValueError, IndexError):
            return int((self.folder / "data" / "postmaster.pid").read_text().split()[0])
        return None

    @property
    def log(self) -> Path:
        return self.folder / "log"


def _as_postgres(argv: list[str]) -> list[str]:
    return ["runuser", "-u", "postgres", "--", *argv] if os.getuid() == 0 else argv


def _free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _start(folder: Path, port: int, pg_bin: Path) -> None:
    data = str(folder / "data")
    # --no-sync: initdb's own files are not what we measure; the server runs with fsync on.
    initdb = [str(pg_bin / "initdb"), "-D", data, "-U", "postgres", "--auth=trust", "--no-sync"]
    subprocess.run(_as_postgres([*initdb, "-E", "UTF8"]), check=True, capture_output=True)
    options = f"-p {port} -k {folder} " + " ".join(f"-c {k}={v}" for k, v in SETTINGS.items())
    pg_ctl = [str(pg_bin / "pg_ctl"), "-D", data, "-w", "-l", str(folder / "log")]
    subprocess.run(_as_postgres([*pg_ctl, "-o", options, "start"]), check=True, capture_output=True)


@contextlib.contextmanager
def cluster(keep_log: Path | None = None) -> Iterator[Cluster]:
    """A running cluster, stopped and removed afterwards (its log copied to `keep_log`)."""
    pg_bin = bindir()
    if pg_bin is None:
        raise RuntimeError("PostgreSQL is not installed (apt-get install postgresql)")
    folder = Path(tempfile.mkdtemp(prefix="relay-bench-pg-"))
    if os.getuid() == 0:
        shutil.chown(folder, "postgres")  # initdb refuses to run as root
    port = _free_port()
    try:
        _start(folder, port, pg_bin)
        yield Cluster(folder, port, pg_bin)
    finally:
        stop = [str(pg_bin / "pg_ctl"), "-D", str(folder / "data"), "-m", "fast", "stop"]
        subprocess.run(_as_postgres(stop), check=False, capture_output=True)
        if keep_log is not None and (folder / "log").exists():
            keep_log.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy(folder / "log", keep_log)
        shutil.rmtree(folder, ignore_errors=True)
