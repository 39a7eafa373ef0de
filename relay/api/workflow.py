"""JSON handlers for the daily workflow: reasons, thread, conference, outcomes, reporting."""

from __future__ import annotations

from datetime import date, datetime

from aiohttp import web

from relay.api.auth import actor
from relay.api.validation import F, body, check, choice, optional_body
from relay.domain import cases, conference, portal, workflow
from relay.domain.access import staff_only
from relay.domain.errors import Invalid
from relay.keys import RELAY

REASON = {
    "purpose": F(str, choices=choice("return", "reject")),
    "text": F(str, min_len=1, max_len=500),
}
CLOSE = {
    "outcomes": F(list, required=False, max_len=4),
    "agreement_terms": F(str, required=False, max_len=2000),
}
MEETING = {
    "starts_at": F(str, max_len=16),
    "venue": F(str, min_len=1, max_len=200),
    "attendees": F(list, min_len=1, max_len=10),
    "practitioners": F(list, required=False, max_len=10),
    "notes": F(str, required=False, max_len=2000),
}


REASONS = {"reasons": F(list, max_len=100)}
MEET_CONSENT = {"given": F(bool)}
PREPARATION = {"step": F(str, choices=frozenset(conference.STEPS)), "done_on": F(str, max_len=10)}


def _strings(values: list[object], name: str) -> tuple[str, ...]:
    if any(not isinstance(v, str) or not v or len(v) > 64 for v in values):
        raise Invalid(f"{name} must be a list of ids.", field=name)
    return tuple(dict.fromkeys(values))  # type: ignore[arg-type]


async def get_reasons(request: web.Request) -> web.Response:
    reasons = await workflow.saved_reasons(request.app[RELAY], actor(request))
    return web.json_response({"reasons": reasons})


async def put_reasons(request: web.Request) -> web.Response:
    who = actor(request)
    staff_only(who)
    data = await body(request, REASONS)
    pairs = []
    for raw in data["reasons"]:
        if not isinstance(raw, dict):
            raise Invalid("Each reason must be an object.", field="reasons")
        entry = check(raw, REASON)
        pairs.append((entry["purpose"], entry["text"].strip()))
    reasons = await workflow.replace_saved_reasons(request.app[RELAY], who, pairs)
    return web.json_response({"reasons": reasons})


async def get_thread(request: web.Request) -> web.Response:
    view = await workflow.thread(request.app[RELAY], actor(request), request.match_info["id"])
    return web.json_response(view)


async def close_case(request: web.Request) -> web.Response:
    who = actor(request)
    staff_only(who)
    data = await optional_body(request, CLOSE)
    outcomes = data.get("outcomes", [])
    if any(not isinstance(outcome, str) for outcome in outcomes):
        raise Invalid("outcomes must be a list of strings.", field="outcomes")
    status = await cases.close(
        request.app[RELAY],
        who,
        request.match_info["id"],
        outcomes,
        data.get("agreement_terms"),
    )
    return web.json_response({"id": request.match_info["id"], "status": status})


async def get_conference(request: web.Request) -> web.Response:
    view = await conference.conference(request.app[RELAY], actor(request), request.match_info["id"])
    return web.json_response(view)


async def meet_consent(request: web.Request) -> web.Response:
    who = actor(request)
    staff_only(who)
    data = await body(request, MEET_CONSENT)
    await conference.record_meet_consent(
        request.app[RELAY],
        who,
        request.match_info["id"],
        request.match_info["pid"],
        data["given"],
    )
    return web.json_response(
        {"participant": request.match_info["pid"], "meet_consent": data["given"]}
    )


async def put_meeting(request: web.Request) -> web.Response:
    who = actor(request)
    staff_only(who)
    data = await body(request, MEETING)
    try:
        starts = datetime.strptime(data["starts_at"], "%Y-%m-%dT%H:%M")
    except ValueError as exc:
        raise Invalid("starts_at must look like 2026-05-14T10:30.", field="starts_at") from exc
    meeting = conference.Meeting(
        starts_at=starts,
        venue=data["venue"].strip(),
        attendees=_strings(data["attendees"], "attendees"),
        practitioners=_strings(data.get("practitioners", []), "practitioners"),
        notes=data.get("notes", ""),
    )
    await conference.save_meeting(request.app[RELAY], who, request.match_info["id"], meeting)
    return await get_conference(request)


async def preparation(request: web.Request) -> web.Response:
    who = actor(request)
    staff_only(who)
    data = await body(request, PREPARATION)
    try:
        done_on = date.fromisoformat(data["done_on"]).isoformat()
    except ValueError as exc:
        raise Invalid("done_on must be a date like 2026-05-14.", field="done_on") from exc
    await conference.mark_step(
        request.app[RELAY],
        who,
        request.match_info["id"],
        request.match_info["pid"],
        data["step"],
        done_on,
    )
    return await get_conference(request)


async def get_report(request: web.Request) -> web.Response:
    return web.json_response(await workflow.report(request.app[RELAY], actor(request)))


async def correspondence(request: web.Request) -> web.Response:
    view = await portal.correspondence(request.app[RELAY], actor(request))
    return web.json_response(view)
