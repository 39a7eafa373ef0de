"""JSON handlers for practitioners: parse, call the domain, respond."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from aiohttp import web

from moderation.redaction import DEFAULT_REPLACEMENT, Span
from relay.api.auth import actor
from relay.api.validation import F, body, check, choice, query
from relay.domain import (
    cases,
    dashboard,
    delivery,
    gates,
    items,
    participants,
    sessions,
    views,
)
from relay.domain.access import staff_only
from relay.domain.actors import Actor
from relay.domain.errors import Invalid
from relay.domain.hub import Relay
from relay.domain.items import MAX_CONTENT_NOTE, MAX_NOTE, MAX_TEXT
from relay.keys import RELAY

TEXT = F(str, max_len=MAX_TEXT, too_long_status=413)
LOGIN = {"username": F(str, min_len=1, max_len=64), "password": F(str, min_len=1, max_len=1024)}
PRACTITIONER = {
    "username": F(str, min_len=3, max_len=64),
    "password": F(str, min_len=10, max_len=1024),
    "role": F(str, choices=choice("specialist", "volunteer")),
    "display_name": F(str, min_len=1, max_len=100),
}
CASE = {
    "crime_reference": F(str, min_len=1, max_len=100),
    "modality": F(str, choices=choice("letters", "shuttle", "conference")),
    "risk_level": F(str, choices=choice("standard", "high")),
}
PARTICIPANT = {
    "role": F(str, choices=choice("harmed", "responsible", "supporter")),
    "alias": F(str, min_len=1, max_len=40),
    "name": F(str, max_len=200),
    "email": F(str, max_len=320),
    "phone": F(str, max_len=50),
    "address": F(str, max_len=500),
    "supports": F(str, required=False, nullable=True, max_len=64),
}
DECISION = {
    "action": F(str, choices=choice("approve", "redact", "return", "reject", "countersign")),
    "version": F(int, min_value=1),
    "redactions": F(list, required=False, max_len=500),
    "dismissed": F(list, required=False, max_len=500),
    "note": F(str, required=False, max_len=MAX_NOTE),
    "content_note": F(str, required=False, max_len=MAX_CONTENT_NOTE),
}
SPAN = {
    "start": F(int, min_value=0),
    "end": F(int, min_value=1),
    "replacement": F(str, required=False, max_len=200),
}
DISMISSAL = {"finding": F(str, min_len=1, max_len=20), "reason": F(str, min_len=1, max_len=500)}
QUEUE = {
    "case": F(str, required=False, max_len=64),
    "state": F(str, required=False, choices=frozenset(views.QUEUE_STATES)),
    "limit": F(str, required=False, max_len=4),
}


ASSIGN = {"practitioner": F(str, min_len=1, max_len=64)}
CONSENT = {"given": F(bool)}
ASSESSMENT = {
    "outcome": F(str, choices=choice("safe", "unsafe")),
    "notes": F(str, max_len=MAX_NOTE),
}
SUPPORTER_ACCESS = {"read": F(bool)}
ADMISSION = {"notes": F(str, max_len=MAX_NOTE)}
PAPER_LETTER = {
    "on_behalf_of": F(str, min_len=1, max_len=64),
    "kind": F(str, choices=choice("letter", "message")),
    "body": TEXT,
}


def _json(data: object, status: int = 200) -> web.Response:
    return web.json_response(data, status=status)


async def login(request: web.Request) -> web.Response:
    data = await body(request, LOGIN)
    session = await sessions.staff_login(request.app[RELAY], data["username"], data["password"])
    return _json({"token": session.token, "role": session.role})


async def logout(request: web.Request) -> web.Response:
    await sessions.logout(request.app[RELAY], actor(request))
    return web.Response(status=204)


async def add_practitioner(request: web.Request) -> web.Response:
    who = actor(request)
    staff_only(who)
    data = await body(request, PRACTITIONER)
    practitioner_id = await sessions.add_practitioner(request.app[RELAY], who, **data)
    return _json({"id": practitioner_id, "username": data["username"], "role": data["role"]}, 201)


async def create_case(request: web.Request) -> web.Response:
    who = actor(request)
    staff_only(who)
    data = await body(request, CASE)
    case = await cases.create_case(request.app[RELAY], who, **data)
    return _json({"id": case.id, "status": case.status}, 201)


async def list_cases(request: web.Request) -> web.Response:
    found = await cases.list_cases(request.app[RELAY], actor(request))
    return _json(
        {
            "cases": [
                {"id": c.id, "status": c.status, "modality": c.modality, "risk_level": c.risk_level}
                for c in found
            ]
        }
    )


async def get_case(request: web.Request) -> web.Response:
    detail = await cases.case_detail(request.app[RELAY], actor(request), request.match_info["id"])
    return _json(detail)


async def assign(request: web.Request) -> web.Response:
    who = actor(request)
    staff_only(who)
    data = await body(request, ASSIGN)
    await cases.assign(request.app[RELAY], who, request.match_info["id"], data["practitioner"])
    return _json({"case_id": request.match_info["id"], "assigned": data["practitioner"]})


async def add_participant(request: web.Request) -> web.Response:
    who = actor(request)
    staff_only(who)
    data = await body(request, PARTICIPANT)
    vault = {key: data[key] for key in participants.VAULT_FIELDS}
    added = await participants.add_participant(
        request.app[RELAY],
        who,
        request.match_info["id"],
        role=data["role"],
        alias=data["alias"].strip(),
        vault=vault,
        supports=data.get("supports"),
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
        request.app[RELAY], actor(request), request.match_info["id"], request.match_info["pid"]
    )
    response = _json(contact)
    response.headers["Cache-Control"] = "no-store"
    return response


async def consent(request: web.Request) -> web.Response:
    who = actor(request)
    staff_only(who)
    data = await body(request, CONSENT)
    await gates.record_consent(
        request.app[RELAY],
        who,
        request.match_info["id"],
        request.match_info["pid"],
        data["given"],
    )
    return _json({"participant": request.match_info["pid"], "consent": data["given"]})


async def assessment(request: web.Request) -> web.Response:
    who = actor(request)
    staff_only(who)
    data = await body(request, ASSESSMENT)
    result = await gates.record_assessment(
        request.app[RELAY],
        who,
        request.match_info["id"],
        request.match_info["pid"],
        data["outcome"],
        data["notes"],
    )
    return _json(result, 201)


async def supporter_access(request: web.Request) -> web.Response:
    who = actor(request)
    staff_only(who)
    data = await body(request, SUPPORTER_ACCESS)
    await gates.set_supporter_access(
        request.app[RELAY], who, request.match_info["id"], request.match_info["pid"], data["read"]
    )
    return _json({"participant": request.match_info["pid"], "supporter_read": data["read"]})


async def admission(request: web.Request) -> web.Response:
    who = actor(request)
    staff_only(who)
    data = await body(request, ADMISSION)
    await gates.record_admission(request.app[RELAY], who, request.match_info["id"], data["notes"])
    return _json({"case_id": request.match_info["id"], "admission": True})


def _transition(
    operation: Callable[[Relay, Actor, str], Awaitable[str]],
) -> Callable[[web.Request], Awaitable[web.Response]]:
    async def handler(request: web.Request) -> web.Response:
        status = await operation(request.app[RELAY], actor(request), request.match_info["id"])
        return _json({"id": request.match_info["id"], "status": status})

    return handler


activate = _transition(cases.activate)
pause = _transition(cases.pause)


async def retry_notifications(request: web.Request) -> web.Response:
    case_id = request.match_info["id"]
    count = await delivery.retry_failed_notifications(request.app[RELAY], actor(request), case_id)
    return _json({"id": case_id, "requeued": count})


async def withdraw(request: web.Request) -> web.Response:
    who = actor(request)
    staff_only(who)
    status = await cases.withdraw(
        request.app[RELAY], who, request.match_info["id"], request.match_info["pid"]
    )
    return _json({"id": request.match_info["id"], "status": status})


async def paper_letter(request: web.Request) -> web.Response:
    who = actor(request)
    staff_only(who)
    data = await body(request, PAPER_LETTER)
    result = await items.write_item(
        request.app[RELAY],
        who,
        kind=data["kind"],
        body=data["body"],
        case_id=request.match_info["id"],
        on_behalf_of=data["on_behalf_of"],
    )
    return _json(result, 201)


async def get_queue(request: web.Request) -> web.Response:
    who = actor(request)
    staff_only(who)
    params = query(request, QUEUE)
    limit = params.get("limit", "50")
    if not limit.isdigit() or not 1 <= int(limit) <= 200:
        raise Invalid("limit must be a whole number from 1 to 200.", field="limit")
    found = await views.queue(
        request.app[RELAY],
        who,
        case_id=params.get("case"),
        state=params.get("state"),
        limit=int(limit),
    )
    return _json({"items": found})


async def get_item(request: web.Request) -> web.Response:
    detail = await views.item_detail(request.app[RELAY], actor(request), request.match_info["id"])
    return _json(detail)


async def decide(request: web.Request) -> web.Response:
    who = actor(request)
    staff_only(who)
    data = await body(request, DECISION)
    spans = []
    for raw in data.get("redactions", []):
        if not isinstance(raw, dict):
            raise Invalid("Each redaction must be an object.", field="redactions")
        span = check(raw, SPAN)
        spans.append(Span(span["start"], span["end"], span.get("replacement", DEFAULT_REPLACEMENT)))
    dismissed: dict[str, str] = {}
    for raw in data.get("dismissed", []):
        if not isinstance(raw, dict):
            raise Invalid("Each dismissal must be an object.", field="dismissed")
        entry = check(raw, DISMISSAL)
        if not entry["reason"].strip():
            raise Invalid("A dismissal needs a reason.", field="dismissed")
        dismissed[entry["finding"]] = entry["reason"]
    decision = items.Decision(
        action=data["action"],
        version=data["version"],
        redactions=spans,
        dismissed=dismissed,
        note=data.get("note"),
        content_note=data.get("content_note"),
    )
    result = await items.decide(request.app[RELAY], who, request.match_info["id"], decision)
    return _json(result)


async def claim(request: web.Request) -> web.Response:
    hold = request.method == "POST"
    result = await items.claim(request.app[RELAY], actor(request), request.match_info["id"], hold)
    return _json(result)


async def case_audit(request: web.Request) -> web.Response:
    events = await dashboard.case_audit(
        request.app[RELAY], actor(request), request.match_info["id"]
    )
    return _json({"events": [event.as_json() for event in events]})
