"""Every error answers application/problem+json (RFC 9457) with status, title and detail."""

from __future__ import annotations

import json
import logging

from aiohttp import web

from relay.domain.errors import DomainError, TooManyAttempts
from relay.http import Handler
from relay.scanning import ScanFailed
from relay.storage import StorageUnavailable

log = logging.getLogger("relay.api")

_TITLES = {
    400: "Bad request",
    401: "Not signed in",
    403: "Not allowed",
    404: "Not found",
    405: "Method not allowed",
    409: "Conflict",
    413: "Too large",
    415: "Unsupported media type",
    422: "Validation failed",
    429: "Too many attempts",
    500: "Internal error",
    503: "Service unavailable",
}


def problem(status: int, detail: str, *, title: str | None = None, **extra: object) -> web.Response:
    body = {
        "type": "about:blank",
        "status": status,
        "title": title or _TITLES.get(status, "Error"),
        "detail": detail,
        **extra,
    }
    response = web.Response(
        status=status, text=json.dumps(body), content_type="application/problem+json"
    )
    if status == 401:
        response.headers["WWW-Authenticate"] = 'Bearer realm="relay"'
    return response


def from_domain(exc: DomainError) -> web.Response:
    response = problem(exc.status, exc.detail, title=exc.title, **exc.extra)
    if isinstance(exc, TooManyAttempts):
        response.headers["Retry-After"] = str(exc.retry_after)
    return response


def from_http(exc: web.HTTPException) -> web.Response:
    detail = exc.text if exc.text and not exc.text.startswith(f"{exc.status}:") else exc.reason
    if exc.status == 413:
        detail = "The request is too large (at most 256 KiB)."
    response = problem(exc.status, detail)
    for header in ("Allow", "Location", "Retry-After"):
        if header in exc.headers:
            response.headers[header] = exc.headers[header]
    return response


def storage_failure(exc: StorageUnavailable) -> web.Response:
    """The database is down, full or read-only (storage says so; no driver message is read)."""
    log.error("storage unavailable: %s", exc)
    response = problem(503, "relay cannot save anything right now. Try again shortly.")
    response.headers["Retry-After"] = "30"
    return response


@web.middleware
async def problem_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Turn domain and HTTP errors into problem+json; hide internals of unexpected ones."""
    try:
        return await handler(request)
    except DomainError as exc:
        return from_domain(exc)
    except web.HTTPException as exc:
        if exc.status < 400:
            raise
        return from_http(exc)
    except StorageUnavailable as exc:
        return storage_failure(exc)
    except ScanFailed:
        log.exception("a scan failed on %s %s", request.method, request.path)
        return problem(503, "Your letter could not be checked just now. Please send it again.")
    except Exception:
        log.exception("unexpected error on %s %s", request.method, request.path)
        return problem(500, "Something went wrong on our side. Nothing was changed.")
