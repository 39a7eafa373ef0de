"""The floor: a bare aiohttp handler doing one INSERT, committed, per POST.

Nothing else: no auth, no validation, no encryption, no audit, no scanning. It answers 201 with
a tiny JSON body, like relay's submit. The same load (same letters, same headers, same load
generator) is aimed at it and at relay, so relay's numbers can be read as a fraction of what
this machine can do with that database at all.

- SQLite (`--db`): one aiosqlite connection, INSERT + COMMIT per POST (WAL, `--synchronous`).
- PostgreSQL (`--database-url`): `--connections` psycopg 3 AsyncConnections in autocommit
  mode (each INSERT is its own durable transaction), handed out to requests from a queue.

Run as its own process:
  python bench/floor_server.py --db PATH --port PORT [--synchronous FULL]
  python bench/floor_server.py --database-url postgresql://... --port PORT [--connections 16]
"""

from __future__ import annotations

import argparse
import asyncio
import signal
import time
from collections.abc import Awaitable, Callable
from typing import Any

import aiosqlite
from aiohttp import web

Insert = Callable[[bytes], Awaitable[int]]
Close = Callable[[], Awaitable[Any]]


async def open_sqlite(db_path: str, synchronous: str) -> tuple[Insert, Close]:
    db = await aiosqlite.connect(db_path)
    await db.execute("PRAGMA journal_mode=WAL")
    await db.execute(f"PRAGMA synchronous={synchronous}")
    await db.execute(
        "CREATE TABLE IF NOT EXISTS letters "
        "(id INTEGER PRIMARY KEY, body BLOB NOT NULL, created_at REAL NOT NULL)"
    )
    await db.commit()

    async def insert(body: bytes) -> int:
        # The plain pattern: one INSERT, one COMMIT. The connection's thread runs calls in
        # order, so concurrent requests may share a transaction (cheap group commit); that is
        # what a bare handler gets for free, and so it belongs in the floor.
        cursor = await db.execute(
            "INSERT INTO letters (body, created_at) VALUES (?, ?)", (body, time.time())
        )
        await db.commit()
        return int(cursor.lastrowid or 0)

    return insert, db.close


async def open_postgres(url: str, connections: int) -> tuple[Insert, Close]:
    import psycopg

    opened = [
        await psycopg.AsyncConnection.connect(url, autocommit=True) for _ in range(connections)
    ]
    await opened[0].execute(
        "CREATE TABLE IF NOT EXISTS letters "
        "(id BIGSERIAL PRIMARY KEY, body BYTEA NOT NULL, created_at DOUBLE PRECISION NOT NULL)"
    )
    idle: asyncio.Queue[psycopg.AsyncConnection[Any]] = asyncio.Queue()
    for conn in opened:
        idle.put_nowait(conn)

    async def insert(body: bytes) -> int:
        # One statement in autocommit mode: its own transaction, acknowledged once the WAL
        # is flushed (synchronous_commit=on); concurrent commits share flushes in the server.
        conn = await idle.get()
        try:
            cursor = await conn.execute(
                "INSERT INTO letters (body, created_at) VALUES (%s, %s) RETURNING id",
                (body, time.time()),
            )
            row = await cursor.fetchone()
        finally:
            idle.put_nowait(conn)
        return int(row[0]) if row else 0

    async def close() -> None:
        for conn in opened:
            await conn.close()

    return insert, close


async def serve(insert: Insert, close: Close, host: str, port: int) -> None:
    async def post(request: web.Request) -> web.Response:
        row_id = await insert(await request.read())
        return web.json_response({"id": row_id, "state": "pending"}, status=201)

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
        await close()


async def main_async(args: argparse.Namespace) -> None:
    if args.database_url:
        insert, close = await open_postgres(args.database_url, args.connections)
    else:
        insert, close = await open_sqlite(args.db, args.synchronous)
    await serve(insert, close, args.host, args.port)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    where = parser.add_mutually_exclusive_group(required=True)
    where.add_argument("--db", help="SQLite file")
    where.add_argument("--database-url", help="PostgreSQL URL")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--synchronous", choices=("NORMAL", "FULL"), default="NORMAL")
    parser.add_argument(
        "--connections", type=int, default=16, help="PostgreSQL connections (default 16)"
    )
    args = parser.parse_args()
    asyncio.run(main_async(args))


if __name__ == "__main__":
    main()
