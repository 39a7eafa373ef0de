"""Configuration: one frozen dataclass, built from RELAY_* environment variables or flags."""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import time
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from relay.clock import Clock, system_clock


class ConfigError(ValueError):
    """A setting is missing or malformed; the message says which and how to fix it."""


@dataclass(frozen=True, slots=True)
class DeliveryWindow:
    """Days (ISO weekdays 1..7) and hours [start, end) in which items may arrive."""

    days: tuple[int, ...]
    start: time
    end: time

    def __post_init__(self) -> None:
        if not self.days or any(d not in range(1, 8) for d in self.days):
            raise ConfigError("delivery window days must be ISO weekdays 1..7")
        if self.start >= self.end:
            raise ConfigError("delivery window start must be before its end")

    def as_json(self) -> dict[str, object]:
        return {
            "days": list(self.days),
            "start": self.start.strftime("%H:%M"),
            "end": self.end.strftime("%H:%M"),
        }


_WINDOW = re.compile(r"^\s*([1-7])(?:-([1-7]))?\s+(\d\d:\d\d)-(\d\d:\d\d)\s*$")


def parse_window(text: str) -> DeliveryWindow | None:
    """Parse `1-5 09:00-17:00` (ISO weekdays, hours); empty means any time."""
    if not text.strip():
        return None
    match = _WINDOW.match(text)
    if not match:
        raise ConfigError(f"RELAY_DELIVERY_WINDOW {text!r} is not of the form '1-5 09:00-17:00'")
    first, last, start, end = match.groups()
    days = tuple(range(int(first), int(last or first) + 1))
    try:
        return DeliveryWindow(days, time.fromisoformat(start), time.fromisoformat(end))
    except ValueError as exc:
        raise ConfigError(f"RELAY_DELIVERY_WINDOW {text!r}: {exc}") from exc


@dataclass(frozen=True)
class Config:
    db_path: Path = Path("relay.db")
    # A libpq URI (postgresql://USER[:PASSWORD]@HOST:PORT/DBNAME): PostgreSQL, winning over
    # db_path. None: SQLite at db_path.
    database_url: str | None = field(default=None, repr=False)  # may hold a password
    keys_dir: Path = Path("keys")
    host: str = "127.0.0.1"
    port: int = 8080
    timezone: ZoneInfo = field(default_factory=lambda: ZoneInfo("Europe/London"))
    delivery_window: DeliveryWindow | None = None
    session_ttl_seconds: int = 8 * 3600
    retention_days: int = 90
    # Login throttling: after `login_slow_after` failures each attempt is delayed; after
    # `login_lock_after` the account (or handle) answers 429 for `login_lock_seconds`.
    login_slow_after: int = 3
    login_delay_seconds: float = 1.0
    login_lock_after: int = 8
    login_lock_seconds: int = 15 * 60
    claim_seconds: int = 20 * 60
    # argon2id cost: OWASP's minimum for argon2id is m=19 MiB, t=2, p=1; we go above it.
    argon2_time_cost: int = 3
    argon2_memory_kib: int = 64 * 1024
    argon2_parallelism: int = 1
    # Scanning letters is CPU work; a process pool keeps it off the event loop.
    scan_workers: int = 2
    release_interval_seconds: float = 30.0
    secure_cookies: bool = False
    clock: Clock = system_clock

    def __post_init__(self) -> None:
        if not 0 < self.port < 65536:
            raise ConfigError(f"port {self.port} is out of range 1..65535")

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None, **overrides: object) -> Config:
        env = os.environ if environ is None else environ
        values: dict[str, object] = {
            "db_path": Path(env.get("RELAY_DB", "relay.db")),
            "database_url": env.get("RELAY_DATABASE_URL") or None,
            "keys_dir": Path(env.get("RELAY_KEYS", "keys")),
            "host": env.get("RELAY_HOST", "127.0.0.1"),
            "delivery_window": parse_window(env.get("RELAY_DELIVERY_WINDOW", "")),
        }
        port = env.get("RELAY_PORT", "8080")
        if not port.isdigit():
            raise ConfigError(f"RELAY_PORT {port!r} is not a number")
        values["port"] = int(port)
        tz = env.get("RELAY_TIMEZONE", "Europe/London")
        try:
            values["timezone"] = ZoneInfo(tz)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ConfigError(f"RELAY_TIMEZONE {tz!r} is not a known time zone") from exc
        retention = env.get("RELAY_RETENTION_DAYS", "90")
        if not retention.isdigit():
            raise ConfigError(f"RELAY_RETENTION_DAYS {retention!r} is not a whole number")
        values["retention_days"] = int(retention)
        # Test suites lower the argon2 cost; production keeps the defaults above.
        for name, field_name in (
            ("RELAY_ARGON2_TIME_COST", "argon2_time_cost"),
            ("RELAY_ARGON2_MEMORY_KIB", "argon2_memory_kib"),
        ):
            raw = env.get(name)
            if raw is not None:
                if not raw.isdigit() or int(raw) < 1:
                    raise ConfigError(f"{name} {raw!r} is not a positive whole number")
                values[field_name] = int(raw)
        values.update({k: v for k, v in overrides.items() if v is not None})
        return cls(**values)  # type: ignore[arg-type]
