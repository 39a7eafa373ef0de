"""Typed keys for application and request state (never bare strings)."""

from __future__ import annotations

from aiohttp import web

from relay.domain.actors import Actor
from relay.domain.hub import Relay

RELAY = web.AppKey("relay", Relay)
ACTOR: web.RequestKey[Actor] = web.RequestKey("actor")
CSRF = web.RequestKey("csrf", str)
