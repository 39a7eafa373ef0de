"""Does a slow scan delay other requests? Latency of a cheap request while letters are scanned.

Runs the real app twice in-process on a free localhost port: once scanning inline on the event
loop (scan_workers=0) and once in the process pool (scan_workers=2, the default). Meanwhile a
client submits long letters (every one scanned) and another times `GET /api/v1/me`.

    .venv/bin/python bench/bench_scan_under_load.py
"""

from __future__ import annotations

import asyncio
import statistics
import tempfile
import time
from pathlib import Path

import aiohttp
from aiohttp import web

from relay.app import create_app
from relay.config import Config
from relay.crypto import KeyStore
from relay.domain import cases, participants, sessions
from relay.domain.actors import Staff
from relay.http import RELAY

LETTER = (
    "I have thought about that evening on Mill Road many times since. My number then was "
    "07700 900 123 and I lived at 14 Mill Road, CB1 2AB, but none of that matters now. "
) * 60  # ~10 KB, phone- and address-shaped text throughout
SUBMITTERS = 8
LETTERS_EACH = 6
PROBES = 200


async def setup(relay) -> tuple[str, str]:  # type: ignore[no-untyped-def]
    staff_id = await sessions.add_practitioner(
        relay,
        None,
        username="bench",
        password="bench-password",
        role="specialist",
        display_name="Bench",
    )
    boss = Staff(staff_id, "bench", "specialist")
    case = await cases.create_case(
        relay, boss, crime_reference="B/1", modality="letters", risk_level="standard"
    )
    vault = {"name": "A B", "email": "a@b.example", "phone": "07700 900999", "address": "x"}
    one = await participants.add_participant(
        relay, boss, case.id, role="harmed", alias="A", vault=vault, supports=None
    )
    two = await participants.add_participant(
        relay, boss, case.id, role="responsible", alias="B", vault=vault, supports=None
    )
    writer, _ = await sessions.party_activate(relay, two.invite_code, "long passphrase here")
    reader, _ = await sessions.party_activate(relay, one.invite_code, "long passphrase here")
    return writer.token, reader.token


async def run(workers: int) -> dict[str, float]:
    with tempfile.TemporaryDirectory() as folder:
        keys = Path(folder) / "keys"
        KeyStore.create(keys)
        config = Config(
            db_path=Path(folder) / "r.db",
            keys_dir=keys,
            scan_workers=workers,
            argon2_time_cost=1,
            argon2_memory_kib=1024,
        )
        app = create_app(config)
        runner = web.AppRunner(app, access_log=None)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        base = f"http://127.0.0.1:{port}/api/v1"
        writer, reader = await setup(app[RELAY])
        async with aiohttp.ClientSession() as http:
            # Warm the pool so process start-up is not counted.
            await http.post(
                f"{base}/me/items",
                json={"kind": "letter", "body": "warm up"},
                headers={"Authorization": f"Bearer {writer}"},
            )
            stop = asyncio.Event()

            async def submit() -> None:
                for _ in range(LETTERS_EACH):
                    async with http.post(
                        f"{base}/me/items",
                        json={"kind": "letter", "body": LETTER},
                        headers={"Authorization": f"Bearer {writer}"},
                    ) as r:
                        assert r.status == 201, await r.text()

            async def probe() -> list[float]:
                times = []
                while not stop.is_set() and len(times) < PROBES:
                    start = time.perf_counter()
                    async with http.get(
                        f"{base}/me", headers={"Authorization": f"Bearer {reader}"}
                    ) as r:
                        await r.read()
                    times.append((time.perf_counter() - start) * 1000)
                    await asyncio.sleep(0.005)
                return times

            began = time.perf_counter()
            probe_task = asyncio.create_task(probe())
            await asyncio.gather(*(submit() for _ in range(SUBMITTERS)))
            elapsed = time.perf_counter() - began
            stop.set()
            times = await probe_task
        await runner.cleanup()
    times.sort()
    return {
        "letters_per_s": SUBMITTERS * LETTERS_EACH / elapsed,
        "probe_p50_ms": statistics.median(times),
        "probe_p99_ms": times[int(len(times) * 0.99) - 1] if len(times) > 1 else times[0],
        "probe_max_ms": times[-1],
        "probes": len(times),
    }


async def main() -> None:
    print(f"{SUBMITTERS}x{LETTERS_EACH} letters of {len(LETTER)} chars, probing GET /me")
    print(f"{'scanning':<22}{'letters/s':>10}{'p50 ms':>9}{'p99 ms':>9}{'max ms':>9}{'probes':>8}")
    for label, workers in (("inline (event loop)", 0), ("process pool (2)", 2)):
        r = await run(workers)
        print(
            f"{label:<22}{r['letters_per_s']:>10.1f}{r['probe_p50_ms']:>9.1f}"
            f"{r['probe_p99_ms']:>9.1f}{r['probe_max_ms']:>9.1f}{r['probes']:>8}"
        )


if __name__ == "__main__":
    asyncio.run(main())
