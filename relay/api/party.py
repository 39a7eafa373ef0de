"""JSON handlers for participants."""

from __future__ import annotations

from aiohttp import web

from relay.api.auth import actor
from relay.api.requests import body
from relay.domain import cases, items, portal, sessions
from relay.domain.access import party_only
from relay.http import RELAY
from relay.inputs import party as inputs


async def activate(request: web.Request) -> web.Response:
    data = await body(request, inputs.PartyActivate)
    session, login = await sessions.party_activate(
        request.config_dict[RELAY], data.code, data.passphrase
    )
    return web.json_response({"token": session.token, "login": login}, status=201)


async def login(request: web.Request) -> web.Response:
    data = await body(request, inputs.PartyLogin)
    session = await sessions.party_login(request.config_dict[RELAY], data.login, data.passphrase)
    return web.json_response({"token": session.token, "role": session.role})


async def me(request: web.Request) -> web.Response:
    return web.json_response(await portal.me(request.config_dict[RELAY], actor(request)))


async def write(request: web.Request) -> web.Response:
    who = party_only(actor(request))
    data = await body(request, inputs.NewItem)
    result = await items.write_item(request.config_dict[RELAY], who, kind=data.kind, body=data.body)
    return web.json_response({"id": result["id"], "state": result["state"]}, status=201)


async def my_items(request: web.Request) -> web.Response:
    return web.json_response(await portal.my_items(request.config_dict[RELAY], actor(request)))


async def revise(request: web.Request) -> web.Response:
    who = party_only(actor(request))
    data = await body(request, inputs.Revision)
    result = await items.revise_item(
        request.config_dict[RELAY], who, request.match_info["id"], data.body
    )
    return web.json_response({"id": result["id"], "state": result["state"]})


async def withdraw(request: web.Request) -> web.Response:
    who = portal.forbid_supporter_withdrawal(actor(request))
    await cases.withdraw(request.config_dict[RELAY], who, who.case_id, who.id)
    return web.json_response({"status": "withdrawn"})


async def open_item(request: web.Request) -> web.Response:
    view = await portal.open_item(
        request.config_dict[RELAY], actor(request), request.match_info["id"]
    )
    return web.json_response(view)


async def decline_item(request: web.Request) -> web.Response:
    view = await portal.decline_item(
        request.config_dict[RELAY], actor(request), request.match_info["id"]
    )
    return web.json_response(view)


async def ask_practitioner(request: web.Request) -> web.Response:
    view = await portal.ask_practitioner(
        request.config_dict[RELAY], actor(request), request.match_info["id"]
    )
    return web.json_response(view)


async def get_preferences(request: web.Request) -> web.Response:
    return web.json_response(await portal.preferences(request.config_dict[RELAY], actor(request)))


async def put_preferences(request: web.Request) -> web.Response:
    who = party_only(actor(request))
    data = await body(request, inputs.Preferences)
    result = await portal.set_preferences(
        request.config_dict[RELAY], who, data.read_receipts, data.window()
    )
    return web.json_response(result)
