"""The application factory: one function builds the whole app from a Config."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator

from aiohttp import web

from relay.api import PREFIX, create_api_app
from relay.api.problem import problem_middleware
from relay.audit import AuditLog
from relay.config import Config
from relay.crypto import KeyStore
from relay.domain.hub import Relay
from relay.http import RELAY, Handler
from relay.inputs.jsonbody import MAX_BODY
from relay.passwords import Passwords
from relay.scanning import Scanner
from relay.storage import Store
from relay.web import setup_web

log = logging.getLogger("relay")


async def open_relay(config: Config) -> Relay:
    """Load keys (failing fast with a clear message) and open the database."""
    keys = KeyStore.load(config.keys_dir)
    store = await Store(keys, path=config.db_path, url=config.database_url).open()
    audit = AuditLog(keys.audit_key)
    return Relay(
        config=config,
        store=store,
        keys=keys,
        audit=audit,
        passwords=Passwords(
            config.argon2_time_cost, config.argon2_memory_kib, config.argon2_parallelism
        ),
        scanner=Scanner(config.scan_workers),
    )


@web.middleware
async def security_headers(request: web.Request, handler: Handler) -> web.StreamResponse:
    response = await handler(request)
    headers = response.headers
    headers.setdefault("X-Content-Type-Options", "nosniff")
    headers.setdefault("Referrer-Policy", "no-referrer")
    headers.setdefault("X-Frame-Options", "DENY")
    headers.setdefault(
        "Content-Security-Policy",
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'",
    )
    # Letters and contact details must never sit in a shared or browser cache (the static
    # files hold neither).
    if not isinstance(request.match_info.route.resource, web.StaticResource):
        headers.setdefault("Cache-Control", "no-store")
    return response


def create_app(config: Config) -> web.Application:
    """The root app: what both worlds share (the Relay hub, the security headers, the body
    limit), the front page and /static; the JSON API and the two page areas are sub-apps beside
    each other, each with its own middleware. Sub-apps reach the hub as
    request.config_dict[RELAY].

    The sub-apps answer every error of theirs; problem_middleware here answers only the root's
    own (an unknown address, a missing static file) as problem+json, as it always has.
    """
    # The body limit is the root's: aiohttp reads a request's body with the root app's limit.
    app = web.Application(
        client_max_size=MAX_BODY, middlewares=[security_headers, problem_middleware]
    )

    async def relay_ctx(app: web.Application) -> AsyncIterator[None]:
        relay = await open_relay(config)
        relay.scanner.start()  # scanner processes start with the server, not at a first letter
        app[RELAY] = relay
        yield
        await relay.close()

    async def hide_server(request: web.Request, response: web.StreamResponse) -> None:
        response.headers["Server"] = "relay"  # not the framework's name and version

    app.on_response_prepare.append(hide_server)
    app.cleanup_ctx.append(relay_ctx)
    app.add_subapp(PREFIX, create_api_app())
    setup_web(app)
    return app
