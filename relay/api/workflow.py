"""JSON handlers for the daily workflow: reasons, thread, conference, outcomes, reporting."""

from __future__ import annotations

from aiohttp import web

from relay.api.auth import actor
from relay.api.requests import body, optional_body
from relay.domain import cases, conference, portal, workflow
from relay.domain.access import staff_only
from relay.http import RELAY
from relay.inputs import workflow as inputs


async def get_reasons(request: web.Request) -> web.Response:
    reasons = await workflow.saved_reasons(request.config_dict[RELAY], actor(request))
    return web.json_response({"reasons": reasons})


async def put_reasons(request: web.Request) -> web.Response:
    who = actor(request)
    staff_only(who)
    data = await body(request, inputs.Reasons)
    pairs = [(reason.purpose, reason.text.strip()) for reason in data.reasons]
    reasons = await workflow.replace_saved_reasons(request.config_dict[RELAY], who, pairs)
    return web.json_response({"reasons": reasons})


async def get_thread(request: web.Request) -> web.Response:
    view = await workflow.thread(
        request.config_dict[RELAY], actor(request), request.match_info["id"]
    )
    return web.json_response(view)


async def close_case(request: web.Request) -> web.Response:
    who = actor(request)
    staff_only(who)
    data = await optional_body(request, inputs.Close)
    status = await cases.close(
        request.config_dict[RELAY],
        who,
        request.match_info["id"],
        data.outcomes,
        data.agreement_terms,
    )
    return web.json_response({"id": request.match_info["id"], "status": status})


async def get_conference(request: web.Request) -> web.Response:
    view = await conference.conference(
        request.config_dict[RELAY], actor(request), request.match_info["id"]
    )
    return web.json_response(view)


async def meet_consent(request: web.Request) -> web.Response:
    who = actor(request)
    staff_only(who)
    data = await body(request, inputs.MeetConsent)
    await conference.record_meet_consent(
        request.config_dict[RELAY],
        who,
        request.match_info["id"],
        request.match_info["pid"],
        data.given,
    )
    return web.json_response({"participant": request.match_info["pid"], "meet_consent": data.given})


async def put_meeting(request: web.Request) -> web.Response:
    who = actor(request)
    staff_only(who)
    data = await body(request, inputs.Meeting)
    meeting = data.to_domain()
    await conference.save_meeting(
        request.config_dict[RELAY], who, request.match_info["id"], meeting
    )
    return await get_conference(request)


async def preparation(request: web.Request) -> web.Response:
    who = actor(request)
    staff_only(who)
    data = await body(request, inputs.Preparation)
    await conference.mark_step(
        request.config_dict[RELAY],
        who,
        request.match_info["id"],
        request.match_info["pid"],
        data.step,
        data.done_on,
    )
    return await get_conference(request)


async def get_report(request: web.Request) -> web.Response:
    return web.json_response(await workflow.report(request.config_dict[RELAY], actor(request)))


async def correspondence(request: web.Request) -> web.Response:
    view = await portal.correspondence(request.config_dict[RELAY], actor(request))
    return web.json_response(view)
