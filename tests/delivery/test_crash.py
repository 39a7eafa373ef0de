"""`relay serve` killed between sending a notification and recording it: sent again, once."""

from __future__ import annotations

import asyncio
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

from relay.config import Config
from tests.conftest import VAULTS, World
from tests.delivery.conftest import SmtpServer, deliver, free_port, notifications, parse, run_cli

SERVE = [sys.executable, "-c", "from relay.cli import main; main()", "serve"]


def start_serve(config: Config, smtp_port: int, log: Path) -> subprocess.Popen[bytes]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("RELAY_")}
    env.update(
        RELAY_DB=str(config.db_path),
        RELAY_KEYS=str(config.keys_dir),
        RELAY_HOST="127.0.0.1",
        RELAY_PORT=str(free_port()),
        RELAY_SMTP_HOST="127.0.0.1",
        RELAY_SMTP_PORT=str(smtp_port),
        RELAY_SMTP_TLS="none",
        RELAY_MAILDIR=str(config.db_path.parent / "outbox"),
    )
    with log.open("ab") as out:
        return subprocess.Popen(SERVE, env=env, stdout=out, stderr=subprocess.STDOUT)


def notification_state(db: Path) -> tuple[str, int]:
    with sqlite3.connect(db) as conn:
        state, attempts = conn.execute("SELECT state, attempts FROM notifications").fetchone()
    return str(state), int(attempts)


async def wait_until_sent(db: Path, server: subprocess.Popen[bytes], timeout: float = 10) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while notification_state(db)[0] != "sent":
        assert server.poll() is None, "relay serve exited"
        assert loop.time() < deadline, "the notification was never recorded as sent"
        await asyncio.sleep(0.02)  # polling another process's database: no event to wait on


async def test_kill_between_send_and_record_resends_once_with_the_same_message_id(
    world: World, smtp: SmtpServer, config: Config, tmp_path: Path
) -> None:
    await deliver(world, world.responsible, "I am sorry for what I did.")
    [queued] = await notifications(world)
    await world.api.client.close()  # the test app lets go of the database
    log = tmp_path / "serve.log"

    smtp.inbox.hold = True  # the first DATA is not answered until the server is dead
    first = start_serve(config, smtp.port, log)
    try:
        await smtp.inbox.wait_for(1, timeout=20)
        first.kill()  # SIGKILL: no cleanup, no chance to record the send
        assert first.wait(timeout=10) == -9
    finally:
        if first.poll() is None:
            first.kill()
            first.wait()
    assert notification_state(config.db_path) == ("queued", 0)

    with smtp.inbox.lock:
        smtp.inbox.hold = False
    smtp.inbox.release.set()
    second = start_serve(config, smtp.port, log)
    try:
        await smtp.inbox.wait_for(2, timeout=20)
        await wait_until_sent(config.db_path, second)
    finally:
        second.terminate()
        assert second.wait(timeout=10) == 0, log.read_text()

    raws = smtp.inbox.raw()
    assert len(raws) == 2
    assert {parse(raw)["Message-ID"] for raw in raws} == {f"<{queued['id']}@localhost>"}
    assert [e.rcpt_tos for e in smtp.inbox.envelopes] == [[VAULTS["harmed"]["email"]]] * 2
    assert notification_state(config.db_path) == ("sent", 1)
    with sqlite3.connect(config.db_path) as conn:
        sent_events = conn.execute(
            "SELECT COUNT(*) FROM audit_events WHERE action = 'notification.sent'"
        ).fetchone()[0]
    assert sent_events == 1
    verified = await run_cli(config, "audit", "verify")
    assert verified.exit_code == 0, verified.output
