"""HTTP types shared by the app, the JSON API and the pages (neither edge imports the other)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from aiohttp import web

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
