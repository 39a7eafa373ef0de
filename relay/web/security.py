"""Cookie sessions and CSRF for the pages.

- The session token (from the domain's `sessions` module) lives in an HttpOnly, SameSite=Strict
  cookie scoped to its area: `relay_staff` on /staff, `relay_me` on /me. A participant's
  browser therefore never even sends its cookie to a practitioner page; and a token planted in
  the wrong cookie still meets the domain's `staff_only` / `party_only` (403).
- Signed-in forms carry the session's own CSRF token (stored with the session row).
- Forms shown before sign-in (log in, activate) use a signed double-submit token: a random
  nonce in the `relay_form` cookie, and in the form HMAC(key, nonce) under a key derived from
  keys/ — a cookie planted by someone else cannot come with a matching form token.
Every comparison uses `secrets.compare_digest`; a POST without a valid token answers 403 before
any handler runs.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from typing import Any

from aiohttp import web
from multidict import MultiDictProxy

from relay.domain.errors import Forbidden, Unauthorized
from relay.domain.sessions import Session, authenticate
from relay.http import ACTOR, CSRF, RELAY
from relay.web.uploads import MALFORMED, UPLOAD, UnreadableForm, is_upload, read_upload_form
from relay.web.urls import url

STAFF_COOKIE = "relay_staff"
PARTY_COOKIE = "relay_me"
FORM_COOKIE = "relay_form"
FORM: web.RequestKey[MultiDictProxy[Any]] = web.RequestKey("form")
# The area of a page sub-app: "staff" or "me" (its route names start with it).
AREA = web.AppKey("area", str)
# Forms a person sends before they have a session (route names): checked against the signed
# form cookie.
PUBLIC_FORMS = frozenset({"staff.login", "me.login", "me.activate"})


class CsrfFailed(Forbidden):
    title = "This form has expired"

    def __init__(self) -> None:
        super().__init__(
            "For your safety this form could not be accepted (it may have been open too long, "
            "or cookies are switched off). Go back, reload the page and try again."
        )


def is_public_form(request: web.Request) -> bool:
    return request.match_info.route.name in PUBLIC_FORMS


def _cookie_name(section: str) -> str:
    return STAFF_COOKIE if section == "staff" else PARTY_COOKIE


def _secure(request: web.Request) -> bool:
    return request.config_dict[RELAY].config.secure_cookies or request.secure


def _cookie_path(request: web.Request, section: str) -> str:
    """The area's own prefix (/staff, /me): the browser sends the cookie nowhere else."""
    return url(request, f"{section}.root").path


def set_session_cookie(
    response: web.StreamResponse, request: web.Request, session: Session
) -> None:
    section = "staff" if session.role in ("specialist", "volunteer") else "me"
    response.set_cookie(
        _cookie_name(section),
        session.token,
        path=_cookie_path(request, section),
        httponly=True,
        samesite="Strict",
        secure=_secure(request),
    )


def clear_session_cookie(response: web.StreamResponse, request: web.Request, section: str) -> None:
    response.del_cookie(_cookie_name(section), path=_cookie_path(request, section))


async def load_session(request: web.Request, section: str) -> None:
    """Attach the actor and CSRF token of the area's cookie, if it names a live session."""
    token = request.cookies.get(_cookie_name(section))
    if not token:
        return
    try:
        actor, csrf = await authenticate(request.config_dict[RELAY], token)
    except Unauthorized:
        return
    request[ACTOR] = actor
    request[CSRF] = csrf


def _form_key(request: web.Request) -> bytes:
    return request.config_dict[RELAY].keys.derived_key("web/form-csrf")


def form_token(request: web.Request, nonce: str) -> str:
    return hmac.new(_form_key(request), nonce.encode(), hashlib.sha256).hexdigest()


def public_form_token(request: web.Request, response_cookies: dict[str, str]) -> str:
    """The token for a sign-in form; a fresh nonce goes in `response_cookies` if needed."""
    nonce = request.cookies.get(FORM_COOKIE, "")
    if len(nonce) < 32:
        nonce = secrets.token_urlsafe(32)
        response_cookies[FORM_COOKIE] = nonce
    return form_token(request, nonce)


def set_form_cookie(response: web.StreamResponse, request: web.Request, nonce: str) -> None:
    response.set_cookie(
        FORM_COOKIE,
        nonce,
        path=url(request, "index").path,  # the sign-in forms of both areas read it
        httponly=True,
        samesite="Strict",
        secure=_secure(request),
    )


async def check_csrf(request: web.Request) -> None:
    """Raise CsrfFailed unless the POSTed form carries the right token for this page."""
    if is_public_form(request):
        nonce = request.cookies.get(FORM_COOKIE, "")
        expected = form_token(request, nonce) if len(nonce) >= 32 else ""
    else:
        expected = request.get(CSRF) or ""
    if not expected:
        raise CsrfFailed()  # no session: refused before a byte of the body is read

    def check_token(sent: object) -> None:
        if not isinstance(sent, str) or not sent:
            raise CsrfFailed()
        if not secrets.compare_digest(sent.encode(), expected.encode()):
            raise CsrfFailed()

    form: MultiDictProxy[Any]
    if is_upload(request):
        form, request[UPLOAD] = await read_upload_form(request, check_token)
    else:
        try:
            form = await request.post()
        except MALFORMED as exc:
            raise UnreadableForm(
                "The form could not be read. Reload the page and try again."
            ) from exc
        check_token(form.get("csrf_token"))
    request[FORM] = form
