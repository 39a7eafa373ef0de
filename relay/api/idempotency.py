"""Idempotency-Key on writes: a repeat returns the first answer and changes nothing.

No transaction is open while the handler runs (it may be reading a slow client's body). Before
it, one read looks for the key's record. The handler runs with the key pending
(relay/storage/idempotency.py): its first write reserves the key in the same transaction, so a
crash keeps both the change and the reservation or neither (a retry then does the work once).
After it, the answer goes into the reservation with a small write. A request that wrote nothing
(a validation error, say) has its answer stored too, unless another request holds the key.

A repeat while the first is still running, or whose first answer was lost in a crash after its
change committed, is answered 409: the change may or may not be there to see.
"""

from __future__ import annotations

import logging
from datetime import timedelta

from aiohttp import web

from relay.api.problem import from_domain, from_http
from relay.domain.errors import Conflict, DomainError, Invalid
from relay.domain.hub import Relay, stamp
from relay.http import ACTOR, RELAY, Handler
from relay.storage import StorageUnavailable
from relay.storage import idempotency as stored
from relay.storage.idempotency import PENDING, Answer, Pending

log = logging.getLogger("relay.api")
RETENTION = timedelta(hours=24)
MAX_KEY = 200
_WRITES = frozenset({"POST", "PUT", "PATCH", "DELETE"})


def _replay(answer: Answer) -> web.Response:
    replay = web.Response(status=answer.status, text=answer.text, content_type=answer.content_type)
    replay.headers["Idempotent-Replayed"] = "true"
    return replay


async def _earlier(relay: Relay, pending: Pending) -> web.Response | None:
    """The replay of the key's first answer; None if the key is new. 422 for another request,
    409 while it is reserved without an answer."""
    found = await relay.store.read(
        lambda tx: stored.get(tx, pending.principal, pending.key, pending.cutoff)
    )
    if found is None:
        return None
    if found.fingerprint != pending.fingerprint:
        raise Invalid("This Idempotency-Key was already used for another request.")
    if found.in_progress:
        raise Conflict(stored.IN_PROGRESS_DETAIL)
    return _replay(stored.open_answer(relay.keys, pending.principal, pending.key, found))


async def _handle(request: web.Request, handler: Handler) -> web.StreamResponse:
    """The handler's answer, domain and HTTP errors (below 500) turned into problems."""
    try:
        return await handler(request)
    except DomainError as exc:
        return from_domain(exc)
    except web.HTTPException as exc:
        if exc.status >= 500:
            raise
        return from_http(exc)


async def _keep(relay: Relay, pending: Pending, response: web.Response) -> None:
    """Store the answer: into this request's reservation, or as a new record if it wrote
    nothing (unless another request holds the key meanwhile: then it is not stored)."""
    answer = Answer(response.status, response.text or "", response.content_type)
    body = stored.seal_answer(relay.keys, pending.principal, pending.key, answer)
    try:
        if pending.reserved:
            await relay.store.write(lambda tx: stored.answer(tx, pending, answer.status, body))
        else:
            await relay.store.write(lambda tx: stored.store(tx, pending, answer.status, body))
    except StorageUnavailable:
        # The change (if any) is saved; only its replay is lost: a retry is answered 409.
        log.exception("could not store the answer for an Idempotency-Key")


@web.middleware
async def idempotency_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    key = request.headers.get("Idempotency-Key")
    actor = request.get(ACTOR)
    if key is None or actor is None or request.method not in _WRITES:
        return await handler(request)
    if not key or len(key) > MAX_KEY or not key.isprintable():
        raise Invalid(f"Idempotency-Key must be 1 to {MAX_KEY} printable characters.")
    relay = request.config_dict[RELAY]
    now = relay.now()
    pending = Pending(
        principal=actor.label,
        key=key,
        fingerprint=stored.fingerprint(request.method, request.path),
        at=stamp(now),
        cutoff=stamp(now - RETENTION),
    )
    replay = await _earlier(relay, pending)
    if replay is not None:
        return replay
    token = PENDING.set(pending)
    try:
        response = await _handle(request, handler)
    finally:
        PENDING.reset(token)
    if isinstance(response, web.Response) and response.status < 500:
        await _keep(relay, pending, response)
    return response
