"""Reading HTML forms into the request models the JSON API reads (relay/inputs): one rule, two
front doors. Form fields are strings; a page may turn one into what the model takes (a "yes" into
true, a list of checkboxes into a list) before the model checks it."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from typing import Any, TypeVar

from aiohttp import web

from relay.domain.access import party_only, staff_only
from relay.domain.actors import Party, Staff
from relay.domain.errors import DomainError, Invalid, Unauthorized
from relay.http import ACTOR
from relay.inputs import parse
from relay.inputs.fields import Input
from relay.web.render import redirect
from relay.web.security import FORM
from relay.web.urls import url


def form(request: web.Request) -> Mapping[str, Any]:
    """The POSTed form (read once, when its CSRF token was checked)."""
    return request.get(FORM) or {}


M = TypeVar("M", bound=Input)


def fields(request: web.Request, model: type[M], **given: object) -> M:
    """The model's fields from the form (and `given`, already converted), read as `model`:
    checked exactly as the API checks JSON.

    An empty optional field counts as not given. Text areas are sent by browsers with CR LF
    line ends; they are stored with LF.
    """
    data: dict[str, Any] = {}
    posted = form(request)
    for name, info in model.model_fields.items():
        value = posted.get(name)
        if not isinstance(value, str):
            continue  # absent, or a file where text belongs: treated as missing
        if value == "" and not info.is_required():
            continue
        data[name] = value.replace("\r\n", "\n")
    return parse(model, {**data, **given})


def yes_or_no(request: web.Request, name: str) -> bool:
    """A yes/no choice of the form, for a model's true/false field."""
    value = form(request).get(name)
    if value not in ("yes", "no"):
        raise Invalid("Choose yes or no.", field=name)
    return value == "yes"


def confirmed(request: web.Request) -> None:
    """Pages ask before what cannot be undone: the form's `confirm` box must be ticked."""
    if form(request).get("confirm") != "yes":
        raise Invalid("Tick the box to confirm.", field="confirm")


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
    the route named `back` for that id with a note of what was done; on a refusal `page` again
    with the domain's reason and status (401/403/404 go to the error page, never revealing
    the object)."""

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
            return redirect(url(request, back, {"done": done}, id=object_id))

        return handler

    return decorate
