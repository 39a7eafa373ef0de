"""The floor: a bare aiohttp handler doing one aiosqlite INSERT + COMMIT per POST.

Nothing else: no auth, no validation, no encryption, no audit, no scanning. It answers 201 with
a tiny JSON body, like relay's submit. The same load (same letters, same headers, same load
generator) is aimed at it and at relay, so relay's numbers can be read as a fraction of what
this machine can do with one SQLite writer at all.

Run as its own process: python bench/floor_server.py --db PATH --port PORT [--synchronous FULL]
"""

from __future__ import annotations

import argparse
import asyncio
import signal
import time

import aiosqlite
from aiohttp import web


async def serve(db_path: str, host: str, port: int, synchronous: str) -> None:
    db = await aiosqlite.connect(db_path)
    await db.execute("PRAGMA journal_mode=WAL")
    await db.execute(f"PRAGMA synchronous={synchronous}")
    await db.execute(
        "CREATE TABLE IF NOT EXISTS letters "
        "(id INTEGER PRIMARY KEY, body BLOB NOT NULL, created_at REAL NOT NULL)"
    )
    await db.commit()

    async def post(request: web.Request) -> web.Response:
        body = await request.read()
        # The plain pattern: one INSERT, one COMMIT. The connection's thread runs calls in
        # order, so concurrent requests may share a transaction (cheap group commit); that is
        # what a bare handler gets for free, and so it belongs in the floor.
        cursor = await db.execute(
            "INSERT INTO letters (body, created_at) VALUES (?, ?)", (body, time.time())
        )
        await db.commit()
        return web.json_response({"id": cursor.lastrowid, "state": "pending"}, status=201)

    app = web.Application(client_max_size=256 * 1024)
    app.router.add_post("/api/v1/me/items", post)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, host, port)
    await site.start()
    print(f"floor serving on http://{host}:{port}", flush=True)
    done = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, done.set)
    try:
        await done.wait()
    finally:
        await runner.cleanup()
        await db.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", required=True)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--synchronous", choices=("NORMAL", "FULL"), default="NORMAL")
    args = parser.parse_args()
    asyncio.run(serve(args.db, args.host, args.port, args.synchronous))


if __name__ == "__main__":
    main()
