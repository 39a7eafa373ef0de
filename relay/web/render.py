"""Rendering pages: the jinja2 environment, shared context, filters and the error page."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from datetime import date, datetime
from typing import Any

import aiohttp_jinja2
import jinja2
from aiohttp import web
from markupsafe import Markup, escape
from yarl import URL

from relay.domain.actors import Party, Staff
from relay.domain.attachments import EXTENSIONS
from relay.domain.errors import DomainError, TooManyAttempts, Unauthorized
from relay.http import ACTOR, CSRF, RELAY
from relay.web.security import AREA, is_public_form, public_form_token, set_form_cookie
from relay.web.urls import Pages

log = logging.getLogger("relay.web")


def setup_templates(app: web.Application, folder: str, pages: Pages) -> jinja2.Environment:
    # aiohttp_jinja2.setup turns autoescape on; we say so explicitly, because every letter is
    # untrusted text that must reach a practitioner's browser as text, never as markup.
    env = aiohttp_jinja2.setup(
        app,
        loader=jinja2.FileSystemLoader(folder),
        autoescape=True,
        trim_blocks=True,
        lstrip_blocks=True,
        default_helpers=False,
    )
    # Links in templates: url('name', id=...) as aiohttp_jinja2's own, across the page apps.
    env.globals["url"] = pages.url
    env.filters.update(
        keep_cr=keep_cr, duration=duration, filesize=filesize, attachment_name=attachment_name
    )
    return env


def keep_cr(value: object) -> Markup:
    """Escape text, keeping carriage returns: HTML parsing would turn CR LF into LF and shift
    every later offset by one, so a CR is written as a character reference."""
    return Markup(str(escape(value)).replace("\r", "&#13;"))  # noqa: S704 - escaped first


def duration(seconds: float) -> str:
    """A calm, rounded waiting time: '5 minutes', '3 hours', '2 days'."""
    minutes = int(seconds // 60)
    if minutes < 1:
        return "less than a minute"
    if minutes < 60:
        return f"{minutes} minute{'s' if minutes != 1 else ''}"
    hours = minutes // 60
    if hours < 48:
        return f"{hours} hour{'s' if hours != 1 else ''}"
    days = hours // 24
    return f"{days} days"


def filesize(size: object) -> str:
    """'820 bytes', '14 KB', '2.3 MB' (1 KB = 1024 bytes, as file managers count)."""
    value = int(size)  # type: ignore[call-overload]
    if value < 1024:
        return f"{value} bytes"
    if value < 1024 * 1024:
        return f"{value // 1024} KB"
    return f"{value / (1024 * 1024):.1f} MB"


def attachment_name(listing: Mapping[str, Any]) -> str:
    """The neutral name a file is served under ('attachment-1.jpg'), as the domain names it."""
    extension = EXTENSIONS.get(str(listing["media_type"]), "bin")
    return f"attachment-{listing['n']}.{extension}"


def _helpers(request: web.Request) -> dict[str, Any]:
    relay = request.config_dict[RELAY]
    tz = relay.config.timezone
    now = relay.now()

    def when(stamp: str | None) -> str:
        if not stamp:
            return ""
        return datetime.fromisoformat(stamp).astimezone(tz).strftime("%-d %b %Y, %H:%M")

    def since(stamp: str | None) -> str:
        if not stamp:
            return ""
        return duration((now - datetime.fromisoformat(stamp)).total_seconds())

    def day(iso_date: str | None) -> str:
        return date.fromisoformat(iso_date).strftime("%-d %B %Y") if iso_date else ""

    def clock(stamp: str | None) -> str:
        """The time of day of a moment, in the hub's time zone ('14:05')."""
        if not stamp:
            return ""
        return datetime.fromisoformat(stamp).astimezone(tz).strftime("%H:%M")

    return {"when": when, "since": since, "day": day, "clock": clock}


def render(
    request: web.Request,
    template: str,
    context: Mapping[str, Any] | None = None,
    *,
    status: int = 200,
) -> web.Response:
    cookies: dict[str, str] = {}
    session_csrf = request.get(CSRF) or ""
    # A sign-in form carries the signed form token; every other form the session's own token.
    token = public_form_token(request, cookies) if is_public_form(request) else session_csrf
    section = request.app.get(AREA)  # None on the root app's own pages
    actor = request.get(ACTOR)
    # The navigation is drawn only for the kind of person the area is for (a token planted in
    # the wrong cookie gets a 403 page from the domain, without a menu).
    if not isinstance(actor, Staff if section == "staff" else Party):
        actor = None
    full: dict[str, Any] = {
        "area": section,
        "actor": actor,
        "csrf_token": token,
        "session_csrf": session_csrf,
        **_helpers(request),
        **(context or {}),
    }
    response = aiohttp_jinja2.render_template(template, request, full, status=status)
    for nonce in cookies.values():
        set_form_cookie(response, request, nonce)
    return response


def redirect(location: URL) -> web.Response:
    """A 303 as a plain response, so the security headers and any cookies are kept. The
    location is a route's URL (relay/web/urls.py), never a typed path."""
    return web.Response(status=303, headers={"Location": str(location)})


_TITLES = {
    400: "Something in the form was not right",
    401: "Please sign in",
    403: "Not allowed",
    404: "Not found",
    405: "Not possible here",
    409: "That cannot be done right now",
    413: "That is too long",
    422: "Something in the form was not right",
    429: "Please wait a little",
    500: "Something went wrong on our side",
}


def error_page(
    request: web.Request,
    status: int,
    detail: str,
    *,
    title: str | None = None,
    extra: Mapping[str, object] | None = None,
) -> web.Response:
    context = {
        "status": status,
        "title": title or _TITLES.get(status, "Something went wrong"),
        "detail": detail,
        "extra": dict(extra or {}),
    }
    try:
        return render(request, "error.html", context, status=status)
    except Exception:  # the error page itself must never fail to appear
        log.exception("could not render the error page")
        return web.Response(status=status, text=f"{context['title']}\n\n{detail}\n")


def signin_error(
    request: web.Request, template: str, exc: DomainError, context: dict[str, Any]
) -> web.Response:
    """A sign-in form again with the reason (429 with Retry-After when locked)."""
    status = 401 if isinstance(exc, Unauthorized) else exc.status
    response = render(request, template, {**context, "error": exc.detail}, status=status)
    if isinstance(exc, TooManyAttempts):
        response.headers["Retry-After"] = str(exc.retry_after)
    return response
