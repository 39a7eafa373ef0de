"""JSON handlers for participants."""

from __future__ import annotations

import re
from datetime import time

from aiohttp import web

from relay.api.auth import actor
from relay.api.staff import TEXT
from relay.api.validation import F, body, check, choice
from relay.config import ConfigError, DeliveryWindow
from relay.domain import cases, items, portal, sessions
from relay.domain.access import party_only
from relay.domain.errors import Invalid
from relay.keys import RELAY

# ASCII: Python's \d also matches other scripts' digits, which time.fromisoformat refuses.
_HHMM = re.compile(r"^([01]\d|2[0-3]):[0-5]\d$", re.ASCII)
PASSPHRASE = F(str, min_len=10, max_len=1024)
WINDOW = {
    "days": F(list, min_len=1, max_len=7),
    "start": F(str, max_len=5),
    "end": F(str, max_len=5),
}


PARTY_ACTIVATE = {"code": F(str, min_len=1, max_len=64), "passphrase": PASSPHRASE}
PARTY_LOGIN = {"login": F(str, min_len=1, max_len=64), "passphrase": F(str, max_len=1024)}
WRITE = {"kind": F(str, choices=choice("letter", "message")), "body": TEXT}
REVISE = {"body": TEXT}
PREFERENCES = {"read_receipts": F(bool), "delivery_window": F(dict, nullable=True)}


async def activate(request: web.Request) -> web.Response:
    data = await body(request, PARTY_ACTIVATE)
    session, login = await sessions.party_activate(
        request.app[RELAY], data["code"], data["passphrase"]
    )
    return web.json_response({"token": session.token, "login": login}, status=201)


async def login(request: web.Request) -> web.Response:
    data = await body(request, PARTY_LOGIN)
    session = await sessions.party_login(request.app[RELAY], data["login"], data["passphrase"])
    return web.json_response({"token": session.token, "role": session.role})


async def me(request: web.Request) -> web.Response:
    return web.json_response(await portal.me(request.app[RELAY], actor(request)))


async def write(request: web.Request) -> web.Response:
    who = party_only(actor(request))
    data = await body(request, WRITE)
    result = await items.write_item(request.app[RELAY], who, kind=data["kind"], body=data["body"])
    return web.json_response({"id": result["id"], "state": result["state"]}, status=201)


async def my_items(request: web.Request) -> web.Response:
    return web.json_response(await portal.my_items(request.app[RELAY], actor(request)))


async def revise(request: web.Request) -> web.Response:
    who = party_only(actor(request))
    data = await body(request, REVISE)
    result = await items.revise_item(
        request.app[RELAY], who, request.match_info["id"], data["body"]
    )
    return web.json_response({"id": result["id"], "state": result["state"]})


async def withdraw(request: web.Request) -> web.Response:
    who = portal.forbid_supporter_withdrawal(actor(request))
    await cases.withdraw(request.app[RELAY], who, who.case_id, who.id)
    return web.json_response({"status": "withdrawn"})


async def open_item(request: web.Request) -> web.Response:
    view = await portal.open_item(request.app[RELAY], actor(request), request.match_info["id"])
    return web.json_response(view)


async def decline_item(request: web.Request) -> web.Response:
    view = await portal.decline_item(request.app[RELAY], actor(request), request.match_info["id"])
    return web.json_response(view)


async def ask_practitioner(request: web.Request) -> web.Response:
    view = await portal.ask_practitioner(
        request.app[RELAY], actor(request), request.match_info["id"]
    )
    return web.json_response(view)


async def get_preferences(request: web.Request) -> web.Response:
    return web.json_response(await portal.preferences(request.app[RELAY], actor(request)))


def parse_window(raw: dict[str, object]) -> DeliveryWindow:
    data = check(raw, WINDOW)
    days = data["days"]
    if any(isinstance(d, bool) or not isinstance(d, int) or not 1 <= d <= 7 for d in days):
        raise Invalid("delivery_window.days must be ISO weekdays 1 to 7.", field="days")
    for name in ("start", "end"):
        if not _HHMM.match(data[name]):
            raise Invalid(f"delivery_window.{name} must be a time like 09:00.", field=name)
    try:
        return DeliveryWindow(
            tuple(sorted(set(days))),
            time.fromisoformat(data["start"]),
            time.fromisoformat(data["end"]),
        )
    except ConfigError as exc:
        raise Invalid(str(exc), field="delivery_window") from exc


async def put_preferences(request: web.Request) -> web.Response:
    who = party_only(actor(request))
    data = await body(request, PREFERENCES)
    raw = data["delivery_window"]
    window = None if raw is None else parse_window(raw)
    result = await portal.set_preferences(request.app[RELAY], who, data["read_receipts"], window)
    return web.json_response(result)
