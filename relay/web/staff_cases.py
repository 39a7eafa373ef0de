"""Practitioner pages: sign-in, the dashboard, cases, participants, gates and paper letters."""

from __future__ import annotations

from aiohttp import web

from relay.domain import (
    attachments,
    cases,
    dashboard,
    delivery,
    gates,
    items,
    participants,
    sessions,
    workflow,
)
from relay.domain.actors import Staff
from relay.domain.errors import DomainError
from relay.http import ACTOR, RELAY
from relay.inputs import staff as inputs
from relay.inputs import workflow as workflow_inputs
from relay.web import staff_items as si
from relay.web.forms import confirmed, fields, form, staff, staff_action, yes_or_no
from relay.web.render import redirect, render, signin_error
from relay.web.security import clear_session_cookie, set_session_cookie
from relay.web.uploads import file_not_added, upload_of
from relay.web.urls import url

DONE = {
    "created": "The case is open. Add the participants next.",
    "consent": "Consent recorded.",
    "assessment": "Assessment recorded.",
    "admission": "Admission recorded.",
    "active": "The case is active: letters can now be delivered.",
    "paused": "The case is paused. Nothing will be delivered until it is active again.",
    "closed": "The case is closed. Undelivered items will not be sent.",
    "withdrawn": "The withdrawal is recorded. The other side will only see that it has ended.",
    "assigned": "The practitioner is assigned to this case.",
    "supporter": "The supporter's access is updated.",
    "requeued": "The notifications that gave up are queued again; they go out within a minute.",
}


# -- signing in and out -----------------------------------------------------------------------


async def login_page(request: web.Request) -> web.Response:
    if isinstance(request.get(ACTOR), Staff):
        return redirect(url(request, "staff.home"))
    return render(request, "staff/login.html")


async def login(request: web.Request) -> web.Response:
    username = str(form(request).get("username", ""))
    try:
        data = fields(request, inputs.Login)
        session = await sessions.staff_login(
            request.config_dict[RELAY], data.username, data.password
        )
    except DomainError as exc:
        return signin_error(request, "staff/login.html", exc, {"username": username})
    response = redirect(url(request, "staff.home"))
    set_session_cookie(response, request, session)
    return response


async def logout(request: web.Request) -> web.Response:
    await sessions.logout(request.config_dict[RELAY], staff(request))
    response = redirect(url(request, "staff.login"))
    clear_session_cookie(response, request, "staff")
    return response


# -- dashboard and cases ----------------------------------------------------------------------


async def home(request: web.Request) -> web.Response:
    relay, who = request.config_dict[RELAY], staff(request)
    overview = await dashboard.overview(relay, who)
    report = await workflow.report(relay, who) if who.is_specialist else None
    context = {"overview": overview, "report": report and chart(report)}
    return render(request, "staff/dashboard.html", context)


OUTCOME_LABELS = {
    "questions_answered": "Questions answered",
    "apology_given": "Apology given",
    "agreement": "Agreement reached",
    "no_outcome": "No outcome",
}


def chart(report: dict[str, object]) -> dict[str, object]:
    """The report as bars: each outcome's count and its bar's length (0-100) for the SVG."""
    counts: dict[str, int] = report["outcomes"]  # type: ignore[assignment]
    top = max(counts.values(), default=0)
    bars = [
        {
            "key": key,
            "label": OUTCOME_LABELS.get(key, key.replace("_", " ").capitalize()),
            "count": count,
            "length": round(100 * count / top) if top else 0,
        }
        for key, count in counts.items()
    ]
    return {**report, "bars": bars, "closed_with_outcome": sum(counts.values())}


async def new_case_page(request: web.Request) -> web.Response:
    staff(request)
    return render(request, "staff/case_new.html", {"values": {}})


async def create_case(request: web.Request) -> web.Response:
    who = staff(request)
    try:
        data = fields(request, inputs.NewCase)
        case = await cases.create_case(request.config_dict[RELAY], who, **data.model_dump())
    except DomainError as exc:
        context = {"error": exc.detail, "values": dict(form(request))}
        return render(request, "staff/case_new.html", context, status=exc.status)
    return redirect(url(request, "staff.case", {"done": "created"}, id=case.id))


async def case_page(
    request: web.Request, *, error: DomainError | None = None, status: int = 200
) -> web.Response:
    relay, who = request.config_dict[RELAY], staff(request)
    case_id = request.match_info["id"]
    detail = await cases.case_detail(relay, who, case_id)
    case_items = await dashboard.case_items(relay, who, case_id)
    events = await dashboard.case_audit(relay, who, case_id)
    people = {str(p["id"]): p for p in detail["participants"]}  # type: ignore[attr-defined]
    context = {
        "case": detail,
        "people": people,
        "items": case_items,
        "events": events[-50:],
        "event_count": len(events),
        "done": DONE.get(request.query.get("done", "")),
        "error": error,
    }
    return render(request, "staff/case.html", context, status=status)


async def show_case(request: web.Request) -> web.Response:
    return await case_page(request)


case_action = staff_action(case_page, "staff.case")


@case_action
async def consent(request: web.Request, who: Staff, case_id: str) -> str:
    data = fields(request, inputs.Consent, given=yes_or_no(request, "given"))
    pid = request.match_info["pid"]
    await gates.record_consent(request.config_dict[RELAY], who, case_id, pid, data.given)
    return "consent"


@case_action
async def assessment(request: web.Request, who: Staff, case_id: str) -> str:
    data = fields(request, inputs.NewAssessment)
    pid = request.match_info["pid"]
    await gates.record_assessment(
        request.config_dict[RELAY], who, case_id, pid, data.outcome, data.notes
    )
    return "assessment"


@case_action
async def supporter_access(request: web.Request, who: Staff, case_id: str) -> str:
    data = fields(request, inputs.SupporterAccess, read=yes_or_no(request, "given"))
    pid = request.match_info["pid"]
    await gates.set_supporter_access(request.config_dict[RELAY], who, case_id, pid, data.read)
    return "supporter"


@case_action
async def admission(request: web.Request, who: Staff, case_id: str) -> str:
    data = fields(request, inputs.Admission)
    await gates.record_admission(request.config_dict[RELAY], who, case_id, data.notes)
    return "admission"


@case_action
async def activate(request: web.Request, who: Staff, case_id: str) -> str:
    return await cases.activate(request.config_dict[RELAY], who, case_id)


@case_action
async def pause(request: web.Request, who: Staff, case_id: str) -> str:
    return await cases.pause(request.config_dict[RELAY], who, case_id)


@case_action
async def retry_notifications(request: web.Request, who: Staff, case_id: str) -> str:
    await delivery.retry_failed_notifications(request.config_dict[RELAY], who, case_id)
    return "requeued"


@case_action
async def close(request: web.Request, who: Staff, case_id: str) -> str:
    confirmed(request)
    outcomes = [str(v) for v in form(request).getall("outcomes", [])]  # type: ignore[attr-defined]
    data = fields(request, workflow_inputs.Close, outcomes=outcomes)
    return await cases.close(
        request.config_dict[RELAY], who, case_id, data.outcomes, data.agreement_terms
    )


@case_action
async def withdraw(request: web.Request, who: Staff, case_id: str) -> str:
    confirmed(request)
    pid = request.match_info["pid"]
    return await cases.withdraw(request.config_dict[RELAY], who, case_id, pid)


@case_action
async def assign(request: web.Request, who: Staff, case_id: str) -> str:
    data = fields(request, inputs.Assign)
    await cases.assign(request.config_dict[RELAY], who, case_id, data.practitioner.strip())
    return "assigned"


# -- participants -----------------------------------------------------------------------------


async def new_participant_page(request: web.Request) -> web.Response:
    relay, who = request.config_dict[RELAY], staff(request)
    detail = await cases.case_detail(relay, who, request.match_info["id"])
    return render(request, "staff/participant_new.html", {"case": detail, "values": {}})


async def add_participant(request: web.Request) -> web.Response:
    relay, who = request.config_dict[RELAY], staff(request)
    case_id = request.match_info["id"]
    try:
        data = fields(request, inputs.NewParticipant)
        added = await participants.add_participant(
            relay,
            who,
            case_id,
            role=data.role,
            alias=data.alias.strip(),
            vault=data.vault(),
            supports=data.supports,
        )
    except DomainError as exc:
        if exc.status in (401, 403, 404):
            raise
        detail = await cases.case_detail(relay, who, case_id)
        context = {"case": detail, "values": dict(form(request)), "error": exc.detail}
        return render(request, "staff/participant_new.html", context, status=exc.status)
    # The invite code exists only in this response (only its hash is stored): shown once.
    return render(request, "staff/invite.html", {"case_id": case_id, "added": added})


async def reveal_contact(request: web.Request) -> web.Response:
    relay, who = request.config_dict[RELAY], staff(request)
    case_id, pid = request.match_info["id"], request.match_info["pid"]
    contact = await participants.reveal_contact(relay, who, case_id, pid)
    detail = await cases.case_detail(relay, who, case_id)
    person = next(p for p in detail["participants"] if p["id"] == pid)  # type: ignore[attr-defined]
    return render(
        request, "staff/contact.html", {"case": detail, "person": person, "contact": contact}
    )


# -- paper letters ----------------------------------------------------------------------------


async def paper_letter_page(request: web.Request) -> web.Response:
    relay, who = request.config_dict[RELAY], staff(request)
    detail = await cases.case_detail(relay, who, request.match_info["id"])
    return render(request, "staff/letter_new.html", {"case": detail, "values": {}})


async def paper_letter(request: web.Request) -> web.Response:
    relay, who = request.config_dict[RELAY], staff(request)
    case_id = request.match_info["id"]
    upload = upload_of(request)
    try:
        if problem := upload.problem():
            raise problem  # before anything is written: the typed letter is kept on the form
        data = fields(request, inputs.PaperLetter)
        written = await items.write_item(
            relay,
            who,
            kind=data.kind,
            body=data.body,
            case_id=case_id,
            on_behalf_of=data.on_behalf_of,
        )
    except DomainError as exc:
        if exc.status in (401, 403, 404):
            raise
        detail = await cases.case_detail(relay, who, case_id)
        context = {"case": detail, "values": dict(form(request)), "error": exc.detail}
        return render(request, "staff/letter_new.html", context, status=exc.status)
    item_id = str(written["id"])
    if upload.chosen:
        try:
            await attachments.add_attachment(relay, who, item_id, upload.data)
        except DomainError as exc:
            if exc.status in (401, 403, 404):
                raise
            # The letter is in the queue; the scan can be attached again from the item page.
            error = file_not_added(exc, "The letter is in the queue.")
            return await si.item_page(request, item_id=item_id, error=error, status=exc.status)
    return redirect(url(request, "staff.item", id=item_id))
