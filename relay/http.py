"""HTTP types shared by the app, the JSON API and the pages (neither edge imports the other):
the handler type and the typed keys of application and request state (never bare strings)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from aiohttp import web

from relay.domain.actors import Actor
from relay.domain.hub import Relay

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
RELAY = web.AppKey("relay", Relay)
ACTOR: web.RequestKey[Actor] = web.RequestKey("actor")
CSRF = web.RequestKey("csrf", str)
