"""Reading HTML forms with the JSON API's own field rules (one rule, two front doors)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from typing import Any

from aiohttp import web

from relay.api.validation import F, check
from relay.domain.access import party_only, staff_only
from relay.domain.actors import Party, Staff
from relay.domain.errors import DomainError, Unauthorized
from relay.keys import ACTOR
from relay.web.render import redirect
from relay.web.security import FORM


def form(request: web.Request) -> Mapping[str, Any]:
    """The POSTed form (read once, when its CSRF token was checked)."""
    return request.get(FORM) or {}


def fields(request: web.Request, schema: Mapping[str, F]) -> dict[str, Any]:
    """The schema's fields from the form, validated exactly as the API validates JSON.

    An empty optional field counts as not given. Text areas are sent by browsers with CR LF
    line ends; they are stored with LF.
    """
    data: dict[str, Any] = {}
    posted = form(request)
    for name in schema:
        if name not in posted:
            continue
        value = posted[name]
        if not isinstance(value, str):
            continue  # a file where text belongs: treated as missing
        if value == "" and not schema[name].required:
            continue
        data[name] = value.replace("\r\n", "\n")
    return check(data, schema)


def signed_in(request: web.Request) -> Staff | Party:
    found = request.get(ACTOR)
    if found is None:
        raise Unauthorized("Please sign in.")
    return found


def staff(request: web.Request) -> Staff:
    return staff_only(signed_in(request))


def party(request: web.Request) -> Party:
    return party_only(signed_in(request))


StaffAction = Callable[[web.Request, Staff, str], Awaitable[str]]
Page = Callable[..., Awaitable[web.Response]]


def staff_action(
    page: Page, back: str
) -> Callable[[StaffAction], Callable[[web.Request], Awaitable[web.Response]]]:
    """Wrap a practitioner's form action on the object named by `{id}`: on success back to
    `{back}/{id}` with a note of what was done; on a refusal `page` again with the domain's
    reason and status (401/403/404 go to the error page, never revealing the object)."""

    def decorate(action: StaffAction) -> Callable[[web.Request], Awaitable[web.Response]]:
        async def handler(request: web.Request) -> web.Response:
            who = staff(request)
            object_id = request.match_info["id"]
            try:
                done = await action(request, who, object_id)
            except DomainError as exc:
                if exc.status in (401, 403, 404):
                    raise
                return await page(request, error=exc, status=exc.status)
            return redirect(f"{back}/{object_id}?done={done}")

        return handler

    return decorate
