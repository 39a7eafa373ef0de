"""The pages' middleware, one per area sub-app: its cookie session, CSRF, and errors as a
friendly page.

The area is the sub-app's (`request.app[AREA]`), never read from the path: a sub-app's
middleware runs only for its own routes, and the JSON API (a sibling sub-app) has its own.
"""

from __future__ import annotations

import logging

from aiohttp import web

from relay.domain.errors import DomainError, TooManyAttempts, Unauthorized
from relay.http import Handler
from relay.web.render import error_page, redirect
from relay.web.security import AREA, CsrfFailed, check_csrf, clear_session_cookie, load_session
from relay.web.urls import url

log = logging.getLogger("relay.web")
_SAFE = ("GET", "HEAD", "OPTIONS")
_DETAILS = {
    404: "There is no page at this address.",
    405: "This page cannot be used that way.",
    413: "That was too long to accept. Please shorten it and try again.",
}


def http_error_page(request: web.Request, exc: web.HTTPException) -> web.Response:
    response = error_page(request, exc.status, _DETAILS.get(exc.status, exc.reason))
    if "Allow" in exc.headers:
        response.headers["Allow"] = exc.headers["Allow"]
    return response


def unexpected_error_page(request: web.Request) -> web.Response:
    log.exception("unexpected error on %s %s", request.method, request.path)
    return error_page(request, 500, "Nothing was changed. Please try again in a moment.")


@web.middleware
async def pages_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Load the area's cookie session, check CSRF on every POST, and answer errors with a
    friendly HTML page (the API's problem+json is for machines)."""
    area = request.app[AREA]
    try:
        await load_session(request, area)
        if request.method not in _SAFE:
            await check_csrf(request)
        return await handler(request)
    except Unauthorized as exc:
        if request.method in ("GET", "HEAD"):
            response = redirect(url(request, f"{area}.login"))
        else:
            response = error_page(request, 401, exc.detail)
        clear_session_cookie(response, request, area)
        return response
    except TooManyAttempts as exc:
        response = error_page(request, 429, exc.detail)
        response.headers["Retry-After"] = str(exc.retry_after)
        return response
    except DomainError as exc:
        title = exc.title if isinstance(exc, CsrfFailed) else None
        return error_page(request, exc.status, exc.detail, title=title, extra=exc.extra)
    except web.HTTPException as exc:
        if exc.status < 400:
            raise
        return http_error_page(request, exc)
    except Exception:
        return unexpected_error_page(request)
