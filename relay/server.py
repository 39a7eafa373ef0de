"""`relay serve`: the app plus its background work (outbox, release scheduler, retention)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import signal
from collections.abc import AsyncIterator, Awaitable, Callable

from aiohttp import web

from relay.app import create_app
from relay.config import Config
from relay.domain.delivery import release_all_due
from relay.http import RELAY
from relay.maintenance import run_retention
from relay.notify.mailer import Mailer, MailSettings
from relay.notify.outbox import run_outbox

log = logging.getLogger("relay.server")
RETENTION_EVERY = 6 * 3600.0
ANCHOR_EVERY = 5.0  # seconds: how much of the audit log's end a cut could go unproven


async def _every(
    seconds: float, stop: asyncio.Event, work: Callable[[], Awaitable[object]], name: str
) -> None:
    while not stop.is_set():
        try:
            await work()
        except Exception:
            log.exception("%s failed; will retry", name)
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), seconds)


async def serve(config: Config) -> None:
    app = create_app(config)
    mailer = Mailer(MailSettings.from_env(os.environ))
    stop = asyncio.Event()

    async def background(app: web.Application) -> AsyncIterator[None]:
        relay = app[RELAY]
        tasks = [
            asyncio.create_task(run_outbox(relay, mailer, stop)),
            asyncio.create_task(
                _every(
                    config.release_interval_seconds, stop, lambda: release_all_due(relay), "release"
                )
            ),
            asyncio.create_task(
                _every(RETENTION_EVERY, stop, lambda: run_retention(relay), "retention")
            ),
            asyncio.create_task(_every(ANCHOR_EVERY, stop, relay.anchor_audit, "audit anchor")),
        ]
        yield
        stop.set()
        await asyncio.gather(*tasks, return_exceptions=True)

    app.cleanup_ctx.append(background)
    runner = web.AppRunner(app, access_log=None)  # no access log: IPs and paths stay private
    await runner.setup()
    site = web.TCPSite(runner, config.host, config.port)
    await site.start()
    print(f"relay serving on http://{config.host}:{config.port}", flush=True)
    done = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, done.set)
    try:
        await done.wait()
    finally:
        await runner.cleanup()
