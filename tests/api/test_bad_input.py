"""Non-negotiable 4: bad input gets a clear error (status + message) and changes nothing."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from relay.config import Config
from tests.conftest import World

CASE = "/cases/{case}"


def snapshot(db: Path) -> list[str]:
    """Everything stored, except session bookkeeping that reads do not touch."""
    with sqlite3.connect(db) as conn:
        return [line for line in conn.iterdump() if 'INSERT INTO "sessions"' not in line]


BAD_REQUESTS = [
    # (method, path, raw body, expected status)
    ("POST", "/me/items", b'{"kind": "letter", "body": "unterminated', 400),
    ("POST", "/me/items", b'\xff\xfe{"kind": "letter"}', 400),
    ("POST", "/me/items", b"", 400),
    ("POST", "/me/items", b"[1, 2, 3]", 422),
    ("POST", "/me/items", b'{"kind": "letter"}', 422),
    ("POST", "/me/items", b'{"kind": "poem", "body": "x"}', 422),
    ("POST", "/me/items", b'{"kind": "letter", "body": 42}', 422),
    ("POST", "/me/items", b'{"kind": "letter", "body": "x", "urgent": true}', 422),
    ("POST", "/me/items", b'{"kind": "letter", "body": "   "}', 422),
    ("POST", "/me/items", b'{"kind": "letter", "body": "' + b"a" * 20_001 + b'"}', 413),
    ("POST", "/me/items", b'{"kind": "letter", "body": "' + b"a" * 300_000 + b'"}', 413),
    ("POST", "/me/items", b'{"a":' * 50 + b"1" + b"}" * 50, 422),
    ("PUT", "/me/preferences", b'{"read_receipts": "yes", "delivery_window": null}', 422),
    ("PUT", "/me/preferences", b'{"read_receipts": true}', 422),
    (
        "PUT",
        "/me/preferences",
        b'{"read_receipts": true, "delivery_window": {"days": [0], "start": "09:00", '
        b'"end": "17:00"}}',
        422,
    ),
    (
        "PUT",
        "/me/preferences",
        b'{"read_receipts": true, "delivery_window": {"days": [1], "start": "18:00", '
        b'"end": "09:00"}}',
        422,
    ),
    (
        "PUT",
        "/me/preferences",
        b'{"read_receipts": true, "delivery_window": {"days": [1], "start": "9am", '
        b'"end": "17:00"}}',
        422,
    ),
]


@pytest.mark.parametrize(("method", "path", "raw", "expected"), BAD_REQUESTS)
async def test_bad_party_request_is_refused_and_changes_nothing(
    world: World, config: Config, method: str, path: str, raw: bytes, expected: int
) -> None:
    before = snapshot(config.db_path)
    status, body = await world.api.call(
        method,
        path,
        world.responsible,
        data=raw,
        headers={"Content-Type": "application/json"},
    )
    assert status == expected, body
    assert world.api.last_headers["Content-Type"].startswith("application/problem+json")
    assert body["status"] == expected and body["title"] and body["detail"]
    assert snapshot(config.db_path) == before


STAFF_BAD = [
    ("POST", "/cases", {"crime_reference": "x", "modality": "letters"}, 422),
    ("POST", "/cases", {"crime_reference": "x", "modality": "email", "risk_level": "high"}, 422),
    ("POST", "/cases", {"crime_reference": 5, "modality": "letters", "risk_level": "high"}, 422),
    (
        "POST",
        CASE + "/participants",
        {"role": "victim", "alias": "A", "name": "", "email": "", "phone": "", "address": ""},
        422,
    ),
    (
        "POST",
        CASE + "/participants",
        {"role": "harmed", "alias": "Z", "name": "", "email": "", "phone": "", "address": ""},
        409,
    ),
    (
        "POST",
        CASE + "/participants",
        {
            "role": "supporter",
            "alias": "Q",
            "name": "",
            "email": "",
            "phone": "",
            "address": "",
            "supports": "par_nobody",
        },
        422,
    ),
    ("POST", CASE + "/participants/{harmed}/consent", {"given": "yes"}, 422),
    ("POST", CASE + "/participants/{harmed}/assessments", {"outcome": "fine", "notes": ""}, 422),
    ("POST", CASE + "/assign", {"practitioner": "nobody"}, 422),
    ("POST", CASE + "/activate", None, 409),
    ("POST", "/items/{item}/decision", {"action": "approve"}, 422),
    ("POST", "/items/{item}/decision", {"action": "approve", "version": "1"}, 422),
    ("POST", "/items/{item}/decision", {"action": "approve", "version": True}, 422),
    ("POST", "/items/{item}/decision", {"action": "publish", "version": 1}, 422),
    (
        "POST",
        "/items/{item}/decision",
        {"action": "redact", "version": 1, "redactions": [{"start": 5, "end": 999}]},
        422,
    ),
    (
        "POST",
        "/items/{item}/decision",
        {
            "action": "redact",
            "version": 1,
            "redactions": [{"start": 0, "end": 4}, {"start": 2, "end": 6}],
        },
        422,
    ),
    (
        "POST",
        "/items/{item}/decision",
        {"action": "approve", "version": 1, "dismissed": [{"finding": "f9", "reason": "ok"}]},
        422,
    ),
    ("POST", "/items/{item}/decision", {"action": "approve", "version": 7}, 409),
    ("GET", "/queue?state=lost", None, 422),
    ("GET", "/queue?colour=red", None, 422),
    ("GET", "/queue?limit=0", None, 422),
]


@pytest.mark.parametrize(("method", "path", "payload", "expected"), STAFF_BAD)
async def test_bad_staff_request_is_refused_and_changes_nothing(
    world: World, config: Config, method: str, path: str, payload: object, expected: int
) -> None:
    item = await world.api.ok(
        "POST",
        "/me/items",
        world.responsible,
        {"kind": "letter", "body": "Hello there."},
        status=201,
    )
    if path.endswith("/activate"):
        await world.api.ok("POST", f"/cases/{world.case_id}/pause", world.specialist)
        await world.api.ok(
            "POST",
            f"/cases/{world.case_id}/participants/{world.harmed_id}/assessments",
            world.specialist,
            {"outcome": "unsafe", "notes": "."},
            status=201,
        )
    target = path.format(case=world.case_id, item=item["id"], harmed=world.harmed_id)
    before = snapshot(config.db_path)
    status, body = await world.api.call(method, target, world.specialist, json=payload)
    assert status == expected, body
    assert body["detail"]
    assert snapshot(config.db_path) == before
