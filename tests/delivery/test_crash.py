"""`relay serve` killed between sending a notification and recording it: sent again, once."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

from relay.config import Config
from relay.crypto import KeyStore
from relay.domain.hub import stamp
from relay.storage import Store
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
    if config.database_url:
        env["RELAY_DATABASE_URL"] = config.database_url
    with log.open("ab") as out:
        return subprocess.Popen(SERVE, env=env, stdout=out, stderr=subprocess.STDOUT)


async def notification_state(store: Store) -> tuple[str, int, str | None]:
    row = await store.read(
        lambda tx: tx.one("SELECT state, attempts, claimed_by FROM notifications")
    )
    assert row is not None
    return str(row[0]), int(row[1]), row[2]


async def wait_until_sent(
    store: Store, server: subprocess.Popen[bytes], timeout: float = 10
) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while (await notification_state(store))[0] != "sent":
        assert server.poll() is None, "relay serve exited"
        assert loop.time() < deadline, "the notification was never recorded as sent"
        await asyncio.sleep(0.02)  # polling another process's database: no event to wait on


async def kill_while_sending(config: Config, smtp: SmtpServer, log: Path) -> None:
    """Start `relay serve` and SIGKILL it while the mail server holds its first DATA."""
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
    with smtp.inbox.lock:
        smtp.inbox.hold = False
    smtp.inbox.release.set()


async def test_kill_between_send_and_record_resends_once_with_the_same_message_id(
    world: World, smtp: SmtpServer, config: Config, tmp_path: Path
) -> None:
    await deliver(world, world.responsible, "I am sorry for what I did.")
    [queued] = await notifications(world)
    await world.api.client.close()  # the test app lets go of the database
    log = tmp_path / "serve.log"
    await kill_while_sending(config, smtp, log)

    handle = await Store(
        KeyStore.load(config.keys_dir), path=config.db_path, url=config.database_url
    ).open()
    try:
        state, attempts, claimed_by = await notification_state(handle)
        assert (state, attempts) == ("queued", 0)
        assert claimed_by is not None  # claimed by the dead process, its lease still running
        # The lease runs out (as it would LEASE after the claim): any worker may take it over.
        expired = stamp(datetime.now(UTC) - timedelta(seconds=1))
        await handle.write(
            lambda tx: tx.run("UPDATE notifications SET lease_until = ?", (expired,))
        )

        second = start_serve(config, smtp.port, log)
        try:
            await smtp.inbox.wait_for(2, timeout=20)
            await wait_until_sent(handle, second)
        finally:
            second.terminate()
            assert second.wait(timeout=10) == 0, log.read_text()

        raws = smtp.inbox.raw()
        assert len(raws) == 2
        assert {parse(raw)["Message-ID"] for raw in raws} == {f"<{queued['id']}@localhost>"}
        assert [e.rcpt_tos for e in smtp.inbox.envelopes] == [[VAULTS["harmed"]["email"]]] * 2
        assert await notification_state(handle) == ("sent", 1, None)
        sent_events = await handle.read(
            lambda tx: tx.value(
                "SELECT COUNT(*) FROM audit_events WHERE action = 'notification.sent'"
            )
        )
        assert sent_events == 1
    finally:
        await handle.close()
    verified = await run_cli(config, "audit", "verify")
    assert verified.exit_code == 0, verified.output
