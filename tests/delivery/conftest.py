"""Delivery tests: a real SMTP server (aiosmtpd) on a free port, and helpers for items, files,
encrypted columns and the `relay` command run against the test's database and keys."""

from __future__ import annotations

import asyncio
import email
import email.policy
import io
import socket
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from click.testing import CliRunner, Result
from PIL import ExifTags, Image

from relay.cli import main as relay_cli
from relay.clock import FrozenClock
from relay.config import Config
from relay.domain.hub import Relay
from relay.http import RELAY
from relay.notify.mailer import MAX_ATTEMPTS, Mailer, MailSettings, backoff_seconds
from relay.notify.outbox import send_due
from relay.storage import Store, Tx
from relay.storage.tx import Row
from tests.conftest import World

# Every column sealed under a case's data key: table -> (column holding the case id, column
# naming the row in the associated data, sealed fields).
ENCRYPTED: dict[str, tuple[str, str, tuple[str, ...]]] = {
    "cases": ("id", "id", ("crime_reference", "admission_notes", "agreement_terms")),
    "participants": ("case_id", "id", ("vault",)),
    "assessments": ("case_id", "id", ("notes",)),
    "items": (
        "case_id",
        "id",
        ("original", "body", "findings", "dismissed", "note", "content_note"),
    ),
    "attachments": ("case_id", "id", ("data",)),
    "meetings": ("case_id", "case_id", ("venue", "notes")),
}
# BLOB columns that are not sealed under a case's data key, and why.
NOT_CASE_SEALED = {
    ("cases", "data_key"),  # the data key itself, wrapped by a master key
    ("idempotency", "body"),  # sealed under a service-wide derived key
}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Inbox:
    """An aiosmtpd handler keeping every message; `arrived` is set on each DATA."""

    envelopes: list[Any] = field(default_factory=list)
    arrived: threading.Event = field(default_factory=threading.Event)
    # While set, DATA is answered only once `release` is set (to crash the sender in between).
    hold: bool = False
    release: threading.Event = field(default_factory=threading.Event)
    lock: threading.Lock = field(default_factory=threading.Lock)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        with self.lock:
            self.envelopes.append(envelope)
            hold = self.hold
        self.arrived.set()
        if hold:
            await asyncio.to_thread(self.release.wait, 30)
        return "250 Message accepted"

    def raw(self) -> list[bytes]:
        with self.lock:
            return [bytes(e.original_content) for e in self.envelopes]

    def count(self) -> int:
        with self.lock:
            return len(self.envelopes)

    async def wait_for(self, count: int, timeout: float = 10.0) -> None:
        """Wait until `count` messages have arrived (bounded; fails the test on timeout)."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while self.count() < count:
            remaining = deadline - loop.time()
            assert remaining > 0, f"only {self.count()} of {count} message(s) arrived"
            self.arrived.clear()
            if self.count() >= count:
                break
            await asyncio.to_thread(self.arrived.wait, min(remaining, 0.5))


@dataclass
class SmtpServer:
    port: int
    inbox: Inbox


@pytest.fixture
def smtp() -> Iterator[SmtpServer]:
    inbox = Inbox()
    port = free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield SmtpServer(port, inbox)
    finally:
        inbox.release.set()
        controller.stop()


def smtp_settings(port: int) -> MailSettings:
    return MailSettings(host="127.0.0.1", port=port, tls="none", timeout=5.0)


@pytest.fixture
def mailer(smtp: SmtpServer) -> Mailer:
    return Mailer(smtp_settings(smtp.port))


def relay_of(world: World) -> Relay:
    return world.api.client.app[RELAY]


def parse(raw: bytes) -> email.message.EmailMessage:
    message = email.message_from_bytes(raw, policy=email.policy.default)
    assert isinstance(message, email.message.EmailMessage)
    return message


async def approve(world: World, item_id: str) -> dict[str, Any]:
    item = await world.api.ok("GET", f"/items/{item_id}", world.specialist)
    return dict(
        await world.api.ok(
            "POST",
            f"/items/{item_id}/decision",
            world.specialist,
            {"action": "approve", "version": item["version"]},
        )
    )


async def write(world: World, token: str, text: str, kind: str = "letter") -> str:
    body = await world.api.ok("POST", "/me/items", token, {"kind": kind, "body": text}, status=201)
    return str(body["id"])


async def deliver(world: World, token: str, text: str) -> str:
    """Write as `token`'s party and have the specialist approve: the item is delivered."""
    item_id = await write(world, token, text)
    decided = await approve(world, item_id)
    assert decided["state"] == "delivered", decided
    return item_id


async def give_up_notifying(world: World, clock: FrozenClock) -> None:
    """Deliver a letter while the mail server refuses every connection, until its notice fails."""
    nowhere = Mailer(smtp_settings(free_port()))
    await deliver(world, world.responsible, "I am sorry for what I did. I think about it daily.")
    for attempt in range(1, MAX_ATTEMPTS + 1):
        await send_due(relay_of(world), nowhere)
        clock.set(clock.now + timedelta(seconds=backoff_seconds(attempt)))
    assert [n["state"] for n in await notifications(world)] == ["failed"]


async def notifications(world: World) -> list[Row]:
    return await relay_of(world).store.read(
        lambda tx: tx.rows(
            "SELECT * FROM notifications WHERE case_id = ? ORDER BY created_at, id",
            (world.case_id,),
        )
    )


async def upload(
    world: World, path: str, token: str, data: bytes, content_type: str = "image/jpeg"
) -> tuple[int, Any]:
    """POST a file's bytes as the body; (status, parsed JSON body)."""
    response = await world.api.client.post(
        "/api/v1" + path,
        data=io.BytesIO(data),  # a stream: aiohttp warns about large raw bodies
        headers={"Authorization": f"Bearer {token}", "Content-Type": content_type},
    )
    world.api.last_headers = dict(response.headers)
    return response.status, await response.json(content_type=None)


async def fetch(world: World, path: str, token: str) -> tuple[int, dict[str, str], bytes]:
    """GET a file: (status, headers, raw body)."""
    response = await world.api.client.get(
        "/api/v1" + path, headers={"Authorization": f"Bearer {token}"}
    )
    return response.status, dict(response.headers), await response.read()


# --- files -------------------------------------------------------------------------------------

PHOTOGRAPHER = "Dean Okafor"
CAMERA = "SnoopCam 3000"


def gps_photo() -> bytes:
    """A phone photo of a letter with the camera, the owner's name and GPS in its EXIF."""
    exif = Image.Exif()
    exif[ExifTags.Base.Make] = "Acme Optics"
    exif[ExifTags.Base.Model] = CAMERA
    exif[ExifTags.Base.Artist] = PHOTOGRAPHER
    gps = exif.get_ifd(ExifTags.IFD.GPSInfo)
    gps[ExifTags.GPS.GPSLatitudeRef] = "N"
    gps[ExifTags.GPS.GPSLatitude] = (53.0, 48.0, 57.0)
    gps[ExifTags.GPS.GPSLongitudeRef] = "W"
    gps[ExifTags.GPS.GPSLongitude] = (1.0, 34.0, 7.0)
    image = Image.new("RGB", (48, 32), "white")
    image.paste((20, 20, 160), (4, 4, 44, 8))  # a line of "handwriting"
    out = io.BytesIO()
    image.save(out, "JPEG", exif=exif, comment=PHOTOGRAPHER)
    return out.getvalue()


def png_scan() -> bytes:
    out = io.BytesIO()
    Image.new("L", (30, 40), 255).save(out, "PNG")
    return out.getvalue()


# --- encrypted columns -------------------------------------------------------------------------


@dataclass(frozen=True)
class Sealed:
    table: str
    row_id: str
    field: str
    blob: bytes


def _sealed_of(tx: Tx, case_id: str) -> list[Sealed]:
    found = []
    for table, (case_column, id_column, fields) in ENCRYPTED.items():
        columns = ", ".join(fields)
        rows = tx.rows(
            f"SELECT {id_column} AS row_id, {columns} FROM {table} WHERE {case_column} = ?",
            (case_id,),
        )
        for row in rows:
            for name in fields:
                if row[name]:
                    found.append(Sealed(table, row["row_id"], name, bytes(row[name])))
    return found


async def sealed_fields(store: Store, case_id: str) -> list[Sealed]:
    """Every non-empty ciphertext of the case, in every column sealed under its data key."""
    return await store.read(lambda tx: _sealed_of(tx, case_id))


async def current_blob(store: Store, sealed: Sealed) -> bytes | None:
    id_column = ENCRYPTED[sealed.table][1]
    value = await store.read(
        lambda tx: tx.value(
            f"SELECT {sealed.field} FROM {sealed.table} WHERE {id_column} = ?", (sealed.row_id,)
        )
    )
    return None if value is None else bytes(value)


def _blob_columns(tx: Tx) -> set[tuple[str, str]]:
    if tx.dialect == "postgresql":
        rows = tx.rows(
            "SELECT table_name, column_name FROM information_schema.columns "
            "WHERE table_schema = current_schema() AND data_type = 'bytea'"
        )
        return {(row[0], row[1]) for row in rows}
    tables = tx.rows(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
    )
    found = set()
    for (table,) in tables:
        for column in tx.rows(f"PRAGMA table_info({table})"):
            if column["type"].upper() == "BLOB":
                found.add((table, column["name"]))
    return found


async def blob_columns(store: Store) -> set[tuple[str, str]]:
    """Every binary column of the schema, as (table, column)."""
    return await store.read(_blob_columns)


# --- the relay command -------------------------------------------------------------------------


async def run_cli(config: Config, *args: str, db: Path | None = None) -> Result:
    """`relay ARGS` with the test's database (RELAY_DB, or RELAY_DATABASE_URL on PostgreSQL) and
    RELAY_KEYS, in a thread (it runs its own loop)."""
    env = {
        "RELAY_DB": str(db or config.db_path),
        "RELAY_DATABASE_URL": config.database_url or "",
        "RELAY_KEYS": str(config.keys_dir),
    }
    runner = CliRunner()
    return await asyncio.to_thread(runner.invoke, relay_cli, list(args), env=env)
