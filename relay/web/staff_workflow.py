"""Practitioner pages of the daily workflow: saved reasons, a case's thread, the conference.

Each page calls the same domain functions as relay/api/workflow.py; the rules (who may edit the
reasons, which venue is refused, whose consent is needed) stay in the domain.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from aiohttp import web

from relay.domain import cases, conference, dashboard, workflow
from relay.domain.access import TERMINAL
from relay.domain.errors import DomainError, Invalid, NotFound
from relay.http import RELAY
from relay.inputs import parse
from relay.inputs import workflow as inputs
from relay.web.forms import fields, form, staff, yes_or_no
from relay.web.render import redirect, render
from relay.web.staff_items import HISTORY, actor_name
from relay.web.urls import url

BLANK_ROWS = 3
DONE = {
    "reasons": "The saved reasons are updated.",
    "meet_consent": "Consent to meet recorded.",
    "meeting": "The meeting is saved.",
    "preparation": "Preparation recorded.",
}
STEP_LABELS = {
    "first_meeting": "First preparation meeting",
    "expectations_explained": "What to expect explained",
    "support_plan": "Support plan agreed",
    "ground_rules_agreed": "Ground rules agreed",
    "final_check": "Final check before the meeting",
}
# Reads are audited but are not part of the conversation a thread shows.
_NOT_IN_THREAD = ("item.read", "attachment.read")


# -- saved reasons ----------------------------------------------------------------------------


async def reasons_page(
    request: web.Request,
    *,
    rows: list[dict[str, str]] | None = None,
    error: DomainError | None = None,
    status: int = 200,
) -> web.Response:
    relay, who = request.config_dict[RELAY], staff(request)
    if rows is None:
        saved = await workflow.saved_reasons(relay, who)
        rows = [{"purpose": r["purpose"], "text": r["text"]} for r in saved]
    if who.is_specialist:
        rows = rows + [{"purpose": "return", "text": ""}] * BLANK_ROWS
    context = {
        "rows": rows,
        "editable": who.is_specialist,
        "done": DONE.get(request.query.get("done", "")),
        "error": error,
    }
    return render(request, "staff/reasons.html", context, status=status)


def _posted_reasons(posted: Any) -> list[dict[str, str]]:
    """The rows of the form in order (rows left empty are dropped: that is how one removes)."""
    rows = []
    for i in range(inputs.MAX_REASONS + BLANK_ROWS):
        text = posted.get(f"text-{i}")
        if not isinstance(text, str):
            continue
        purpose = posted.get(f"purpose-{i}")
        rows.append({"purpose": str(purpose or ""), "text": text.replace("\r\n", "\n").strip()})
    return rows


_REASON_HINTS = {
    "purpose": "Choose for each reason whether it is for returning or rejecting.",
    "text": f"A reason is at most {inputs.MAX_REASON} characters long.",
}


def _reason(row: dict[str, str]) -> tuple[str, str]:
    try:
        reason = parse(inputs.Reason, row)
    except Invalid as exc:
        hint = _REASON_HINTS.get(str(exc.extra.get("field")), exc.detail)
        raise Invalid(hint, field="reasons") from exc
    return reason.purpose, reason.text


async def save_reasons(request: web.Request) -> web.Response:
    relay, who = request.config_dict[RELAY], staff(request)
    rows = [row for row in _posted_reasons(form(request)) if row["text"]]
    try:
        if len(rows) > inputs.MAX_REASONS:
            raise Invalid(f"Keep at most {inputs.MAX_REASONS} saved reasons.")
        await workflow.replace_saved_reasons(relay, who, [_reason(row) for row in rows])
    except DomainError as exc:
        if exc.status in (401, 403, 404):
            raise
        return await reasons_page(request, rows=rows, error=exc, status=exc.status)
    return redirect(url(request, "staff.reasons", {"done": "reasons"}))


# -- the thread of a case ---------------------------------------------------------------------


async def thread_page(request: web.Request) -> web.Response:
    relay, who = request.config_dict[RELAY], staff(request)
    case_id = request.match_info["id"]
    detail = await cases.case_detail(relay, who, case_id)
    view = await workflow.thread(relay, who, case_id)
    people = {str(p["id"]): p for p in detail["participants"]}  # type: ignore[attr-defined]
    names = {p.id: p.display_name for p in await dashboard.practitioners(relay, who)}
    entries = []
    for entry in view["items"]:  # type: ignore[attr-defined]
        events = [
            {
                **event,
                "label": HISTORY.get(str(event["action"]), str(event["action"])),
                "who": actor_name(str(event["actor"]), people),
                "takeover_from": names.get(str(event["details"].get("takeover_from")), "")
                if event["details"].get("takeover_from")
                else "",
            }
            for event in entry["events"]
            if event["action"] not in _NOT_IN_THREAD
        ]
        side = "harmed" if entry["to"]["role"] == "responsible" else "responsible"
        entries.append({**entry, "events": events, "side": side})
    context = {"case": detail, "entries": entries, "people": people}
    return render(request, "staff/thread.html", context)


# -- conference preparation -------------------------------------------------------------------


def _meeting_values(meeting: dict[str, Any] | None) -> dict[str, Any]:
    if not meeting:
        return {"date": "", "time": "", "venue": "", "attendees": [], "practitioners": []}
    starts = datetime.fromisoformat(str(meeting["starts_at"]))
    return {
        "date": starts.date().isoformat(),
        "time": starts.strftime("%H:%M"),
        "venue": meeting["venue"],
        "attendees": list(meeting["attendees"]),
        "practitioners": list(meeting["practitioners"]),
        "notes": meeting.get("notes") or "",
    }


async def conference_page(
    request: web.Request,
    *,
    values: dict[str, Any] | None = None,
    error: DomainError | None = None,
    error_at: str = "",
    status: int = 200,
) -> web.Response:
    relay, who = request.config_dict[RELAY], staff(request)
    case_id = request.match_info["id"]
    detail = await cases.case_detail(relay, who, case_id)
    view = await conference.conference(relay, who, case_id)
    staff_list = await dashboard.practitioners(relay, who)
    people = {str(p["id"]): p for p in view["participants"]}  # type: ignore[attr-defined]
    meeting: dict[str, Any] | None = view["meeting"]  # type: ignore[assignment]
    principals = [p for p in people.values() if p["role"] != "supporter"]
    context = {
        "case": detail,
        "conference": view,
        "people": people,
        "meeting": meeting,
        "meeting_when": datetime.fromisoformat(str(meeting["starts_at"])).strftime(
            "%A %-d %B %Y at %H:%M"
        )
        if meeting
        else "",
        "values": values or _meeting_values(meeting),
        "practitioners": staff_list,
        "step_labels": STEP_LABELS,
        "both_consent": len(principals) >= 2 and all(p["meet_consent"] for p in principals),
        "open_case": detail["status"] not in TERMINAL,
        "done": DONE.get(request.query.get("done", "")),
        "error": error,
        "error_at": error_at,
    }
    return render(request, "staff/conference.html", context, status=status)


def _back(request: web.Request, case_id: str, done: str) -> web.Response:
    return redirect(url(request, "staff.conference", {"done": done}, id=case_id))


async def meet_consent(request: web.Request) -> web.Response:
    relay, who = request.config_dict[RELAY], staff(request)
    case_id, pid = request.match_info["id"], request.match_info["pid"]
    try:
        data = fields(request, inputs.MeetConsent, given=yes_or_no(request, "given"))
        await conference.record_meet_consent(relay, who, case_id, pid, data.given)
    except DomainError as exc:
        if exc.status in (401, 403, 404):
            raise
        return await conference_page(request, error=exc, error_at="consent", status=exc.status)
    return _back(request, case_id, "meet_consent")


def _meeting_form(posted: Any) -> dict[str, Any]:
    """The meeting form as typed (shown again on a refusal)."""
    return {
        "date": str(posted.get("date", "")).strip(),
        "time": str(posted.get("time", "")).strip(),
        "venue": str(posted.get("venue", "")).strip(),
        "notes": str(posted.get("notes", "")).replace("\r\n", "\n"),
        "attendees": list(dict.fromkeys(str(v) for v in posted.getall("attendees", []))),
        "practitioners": list(dict.fromkeys(str(v) for v in posted.getall("practitioners", []))),
    }


def _meeting(values: dict[str, Any]) -> inputs.Meeting:
    if not values["date"] or not values["time"]:
        raise Invalid("Give the date and the time of the meeting.", field="starts_at")
    if not values["venue"]:
        raise Invalid("Say where the meeting takes place (a venue the hub chooses).")
    if not values["attendees"]:
        raise Invalid("Choose who attends the meeting.", field="attendees")
    data = {key: values[key] for key in ("venue", "notes", "attendees", "practitioners")}
    try:
        return parse(inputs.Meeting, {**data, "starts_at": f"{values['date']}T{values['time']}"})
    except Invalid as exc:
        if exc.extra.get("field") == "starts_at":
            raise Invalid("Give the date and the time of the meeting.", field="starts_at") from exc
        raise


async def save_meeting(request: web.Request) -> web.Response:
    relay, who = request.config_dict[RELAY], staff(request)
    case_id = request.match_info["id"]
    values = _meeting_form(form(request))
    try:
        meeting = _meeting(values)
        await conference.save_meeting(relay, who, case_id, meeting.to_domain())
    except DomainError as exc:
        if exc.status in (401, 403, 404):
            raise
        return await conference_page(
            request, values=values, error=exc, error_at="meeting", status=exc.status
        )
    return _back(request, case_id, "meeting")


def _step_changes(posted: Any, current: dict[str, str]) -> list[inputs.Preparation]:
    changes = []
    for step in conference.STEPS:
        raw = str(posted.get(f"step-{step}", "")).strip()
        if not raw or raw == current.get(step):
            continue
        try:
            changes.append(parse(inputs.Preparation, {"step": step, "done_on": raw}))
        except Invalid as exc:
            label = STEP_LABELS.get(step, step)
            raise Invalid(f"The date for '{label}' is not a date.", field=step) from exc
    return changes


async def preparation(request: web.Request) -> web.Response:
    """Record the dates of the preparation steps of one participant (changed ones only)."""
    relay, who = request.config_dict[RELAY], staff(request)
    case_id, pid = request.match_info["id"], request.match_info["pid"]
    try:
        view = await conference.conference(relay, who, case_id)
        person = next(
            (p for p in view["participants"] if p["id"] == pid),  # type: ignore[attr-defined]
            None,
        )
        if person is None:
            raise NotFound()
        current = {s["step"]: s["done_on"] for s in person["preparation"]}
        for change in _step_changes(form(request), current):
            await conference.mark_step(relay, who, case_id, pid, change.step, change.done_on)
    except DomainError as exc:
        if exc.status in (401, 403, 404):
            raise
        return await conference_page(request, error=exc, error_at="preparation", status=exc.status)
    return _back(request, case_id, "preparation")
