"""JSON handlers for practitioners: parse, call the domain, respond."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from aiohttp import web

from relay.api.auth import actor
from relay.api.requests import body, query
from relay.domain import (
    cases,
    dashboard,
    decisions,
    delivery,
    gates,
    items,
    participants,
    sessions,
    views,
)
from relay.domain.access import staff_only
from relay.domain.actors import Actor
from relay.domain.hub import Relay
from relay.http import RELAY
from relay.inputs import staff as inputs


def _json(data: object, status: int = 200) -> web.Response:
    return web.json_response(data, status=status)


async def login(request: web.Request) -> web.Response:
    data = await body(request, inputs.Login)
    session = await sessions.staff_login(request.config_dict[RELAY], data.username, data.password)
    return _json({"token": session.token, "role": session.role})


async def logout(request: web.Request) -> web.Response:
    await sessions.logout(request.config_dict[RELAY], actor(request))
    return web.Response(status=204)


async def add_practitioner(request: web.Request) -> web.Response:
    who = actor(request)
    staff_only(who)
    data = await body(request, inputs.NewPractitioner)
    practitioner_id = await sessions.add_practitioner(
        request.config_dict[RELAY], who, **data.model_dump()
    )
    return _json({"id": practitioner_id, "username": data.username, "role": data.role}, 201)


async def create_case(request: web.Request) -> web.Response:
    who = actor(request)
    staff_only(who)
    data = await body(request, inputs.NewCase)
    case = await cases.create_case(request.config_dict[RELAY], who, **data.model_dump())
    return _json({"id": case.id, "status": case.status}, 201)


async def list_cases(request: web.Request) -> web.Response:
    found = await cases.list_cases(request.config_dict[RELAY], actor(request))
    return _json(
        {
            "cases": [
                {"id": c.id, "status": c.status, "modality": c.modality, "risk_level": c.risk_level}
                for c in found
            ]
        }
    )


async def get_case(request: web.Request) -> web.Response:
    detail = await cases.case_detail(
        request.config_dict[RELAY], actor(request), request.match_info["id"]
    )
    return _json(detail)


async def assign(request: web.Request) -> web.Response:
    who = actor(request)
    staff_only(who)
    data = await body(request, inputs.Assign)
    await cases.assign(request.config_dict[RELAY], who, request.match_info["id"], data.practitioner)
    return _json({"case_id": request.match_info["id"], "assigned": data.practitioner})


async def add_participant(request: web.Request) -> web.Response:
    who = actor(request)
    staff_only(who)
    data = await body(request, inputs.NewParticipant)
    added = await participants.add_participant(
        request.config_dict[RELAY],
        who,
        request.match_info["id"],
        role=data.role,
        alias=data.alias.strip(),
        vault=data.vault(),
        supports=data.supports,
    )
    return _json(
        {
            "id": added.id,
            "role": added.role,
            "alias": added.alias,
            "invite_code": added.invite_code,
        },
        201,
    )


async def reveal_contact(request: web.Request) -> web.Response:
    contact = await participants.reveal_contact(
        request.config_dict[RELAY],
        actor(request),
        request.match_info["id"],
        request.match_info["pid"],
    )
    response = _json(contact)
    response.headers["Cache-Control"] = "no-store"
    return response


async def consent(request: web.Request) -> web.Response:
    who = actor(request)
    staff_only(who)
    data = await body(request, inputs.Consent)
    await gates.record_consent(
        request.config_dict[RELAY],
        who,
        request.match_info["id"],
        request.match_info["pid"],
        data.given,
    )
    return _json({"participant": request.match_info["pid"], "consent": data.given})


async def assessment(request: web.Request) -> web.Response:
    who = actor(request)
    staff_only(who)
    data = await body(request, inputs.NewAssessment)
    result = await gates.record_assessment(
        request.config_dict[RELAY],
        who,
        request.match_info["id"],
        request.match_info["pid"],
        data.outcome,
        data.notes,
    )
    return _json(result, 201)


async def supporter_access(request: web.Request) -> web.Response:
    who = actor(request)
    staff_only(who)
    data = await body(request, inputs.SupporterAccess)
    await gates.set_supporter_access(
        request.config_dict[RELAY],
        who,
        request.match_info["id"],
        request.match_info["pid"],
        data.read,
    )
    return _json({"participant": request.match_info["pid"], "supporter_read": data.read})


async def admission(request: web.Request) -> web.Response:
    who = actor(request)
    staff_only(who)
    data = await body(request, inputs.Admission)
    await gates.record_admission(
        request.config_dict[RELAY], who, request.match_info["id"], data.notes
    )
    return _json({"case_id": request.match_info["id"], "admission": True})


def _transition(
    operation: Callable[[Relay, Actor, str], Awaitable[str]],
) -> Callable[[web.Request], Awaitable[web.Response]]:
    async def handler(request: web.Request) -> web.Response:
        status = await operation(
            request.config_dict[RELAY], actor(request), request.match_info["id"]
        )
        return _json({"id": request.match_info["id"], "status": status})

    return handler


activate = _transition(cases.activate)
pause = _transition(cases.pause)


async def retry_notifications(request: web.Request) -> web.Response:
    case_id = request.match_info["id"]
    count = await delivery.retry_failed_notifications(
        request.config_dict[RELAY], actor(request), case_id
    )
    return _json({"id": case_id, "requeued": count})


async def withdraw(request: web.Request) -> web.Response:
    who = actor(request)
    staff_only(who)
    status = await cases.withdraw(
        request.config_dict[RELAY], who, request.match_info["id"], request.match_info["pid"]
    )
    return _json({"id": request.match_info["id"], "status": status})


async def paper_letter(request: web.Request) -> web.Response:
    who = actor(request)
    staff_only(who)
    data = await body(request, inputs.PaperLetter)
    result = await items.write_item(
        request.config_dict[RELAY],
        who,
        kind=data.kind,
        body=data.body,
        case_id=request.match_info["id"],
        on_behalf_of=data.on_behalf_of,
    )
    return _json(result, 201)


async def get_queue(request: web.Request) -> web.Response:
    who = actor(request)
    staff_only(who)
    params = query(request, inputs.QueueQuery)
    found = await views.queue(
        request.config_dict[RELAY], who, case_id=params.case, state=params.state, limit=params.limit
    )
    return _json({"items": found})


async def get_item(request: web.Request) -> web.Response:
    detail = await views.item_detail(
        request.config_dict[RELAY], actor(request), request.match_info["id"]
    )
    return _json(detail)


async def decide(request: web.Request) -> web.Response:
    who = actor(request)
    staff_only(who)
    data = await body(request, inputs.Decision)
    result = await decisions.decide(
        request.config_dict[RELAY], who, request.match_info["id"], data.to_domain()
    )
    return _json(result)


async def claim(request: web.Request) -> web.Response:
    hold = request.method == "POST"
    result = await decisions.claim(
        request.config_dict[RELAY], actor(request), request.match_info["id"], hold
    )
    return _json(result)


async def case_audit(request: web.Request) -> web.Response:
    events = await dashboard.case_audit(
        request.config_dict[RELAY], actor(request), request.match_info["id"]
    )
    return _json({"events": [event.as_json() for event in events]})
