"""Idempotency-Key on writes: a repeat returns the first answer and changes nothing.

The handler runs inside one write transaction together with the stored answer, so a crash
either keeps both (a retry gets the first answer) or neither (a retry does the work once).
"""

from __future__ import annotations

import json
from datetime import timedelta

from aiohttp import web

from relay.api.problem import Handler, from_domain, from_http
from relay.crypto import CaseCipher
from relay.domain.errors import DomainError, Invalid
from relay.domain.hub import stamp
from relay.keys import ACTOR, RELAY
from relay.storage import fetch_all

RETENTION = timedelta(hours=24)
MAX_KEY = 200
_WRITES = frozenset({"POST", "PUT", "PATCH", "DELETE"})


def _cipher(request: web.Request) -> CaseCipher:
    return CaseCipher("idempotency", request.app[RELAY].keys.derived_key("idempotency"))


@web.middleware
async def idempotency_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    key = request.headers.get("Idempotency-Key")
    actor = request.get(ACTOR)
    if key is None or actor is None or request.method not in _WRITES:
        return await handler(request)
    if not key or len(key) > MAX_KEY or not key.isprintable():
        raise Invalid(f"Idempotency-Key must be 1 to {MAX_KEY} printable characters.")
    relay = request.app[RELAY]
    principal = actor.label
    fingerprint = f"{request.method} {request.path}"
    cipher = _cipher(request)
    row_id = f"{principal}/{key}"
    async with relay.db.write() as conn:
        cutoff = stamp(relay.now() - RETENTION)
        rows = await fetch_all(
            conn,
            "SELECT fingerprint, status, body FROM idempotency WHERE principal = ? AND key = ? "
            "AND created_at > ?",
            (principal, key, cutoff),
        )
        if rows:
            if rows[0]["fingerprint"] != fingerprint:
                raise Invalid("This Idempotency-Key was already used for another request.")
            stored = json.loads(cipher.open("idempotency", row_id, "body", rows[0]["body"]))
            replay = web.Response(
                status=rows[0]["status"], text=stored["text"], content_type=stored["type"]
            )
            replay.headers["Idempotent-Replayed"] = "true"
            return replay
        response: web.StreamResponse
        try:
            response = await handler(request)
        except DomainError as exc:
            response = from_domain(exc)
        except web.HTTPException as exc:
            if exc.status >= 500:
                raise
            response = from_http(exc)
        if not isinstance(response, web.Response) or response.status >= 500:
            return response
        body = response.text or ""
        sealed = cipher.seal_json(
            "idempotency", row_id, "body", {"text": body, "type": response.content_type}
        )
        await conn.execute(
            "INSERT OR REPLACE INTO idempotency VALUES (?, ?, ?, ?, ?, ?)",
            (principal, key, fingerprint, response.status, sealed, stamp(relay.now())),
        )
    return response
