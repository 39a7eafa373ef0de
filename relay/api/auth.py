"""Bearer-token authentication for the JSON API."""

from __future__ import annotations

from aiohttp import web

from relay.domain.actors import Actor
from relay.domain.errors import Unauthorized
from relay.domain.sessions import authenticate
from relay.http import ACTOR, RELAY, Handler


@web.middleware
async def bearer_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Attach the actor of a valid bearer token; a present but bad token is 401 at once."""
    header = request.headers.get("Authorization")
    if header is not None:
        scheme, _, token = header.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise Unauthorized("Use 'Authorization: Bearer <token>'.")
        actor, _csrf = await authenticate(request.config_dict[RELAY], token.strip())
        request[ACTOR] = actor
    return await handler(request)


def actor(request: web.Request) -> Actor:
    """The signed-in actor, or 401."""
    found = request.get(ACTOR)
    if found is None:
        raise Unauthorized("Please sign in.")
    return found
