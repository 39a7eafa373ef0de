"""The item page: findings highlighted, redaction, the decision, the item's history."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from aiohttp import web

from relay.domain import attachments, cases, dashboard, decisions, views, workflow
from relay.domain.access import TERMINAL
from relay.domain.actors import Staff
from relay.domain.errors import DomainError, Invalid
from relay.http import RELAY
from relay.web import moderation_form as mf
from relay.web.forms import form, staff, staff_action
from relay.web.render import redirect, render
from relay.web.uploads import attachment_number, file_response, upload_of
from relay.web.urls import url

DONE = {
    "pending": "Saved.",
    "countersign": "Approved. An RJ specialist now needs to countersign it.",
    "approved": "Approved. It will be delivered when the case is active and the recipient's "
    "delivery window is open.",
    "delivered": "Approved and delivered.",
    "returned": "Returned to the author with your note.",
    "rejected": "Rejected. The author will see your note.",
    "claimed": "Other practitioners now see that you are reading this.",
    "released": "You let it go: anyone may pick it up now.",
    "file_added": "The scan is attached. It is checked with the letter.",
    "file_removed": "The file is removed.",
}
HISTORY = {
    "item.written": "written",
    "item.revised": "revised by the author",
    "item.read": "read by a practitioner",
    "item.approve": "approved",
    "item.redact": "approved with redactions",
    "item.return": "returned to the author",
    "item.reject": "rejected",
    "item.countersign": "countersigned",
    "item.delivered": "delivered",
    "item.opened": "opened by the recipient",
    "item.declined": "declined by the recipient",
    "item.help_requested": "the recipient asked a practitioner",
    "item.halted": "halted (the process ended)",
    "item.claimed": "claimed",
    "item.unclaimed": "claim released",
    "attachment.added": "a file was attached",
    "attachment.removed": "a file was removed",
    "attachment.read": "a file was read by a practitioner",
}


def claim_of(
    item: dict[str, object], names: dict[str, str], who: Staff, now: datetime
) -> dict[str, object] | None:
    """Who is reading the item now, if anyone (an expired claim holds nothing)."""
    holder, until = item.get("claimed_by"), item.get("claimed_until")
    if not holder or not until or datetime.fromisoformat(str(until)) <= now:
        return None
    name = names.get(str(holder), "another practitioner")
    return {"name": name, "until": until, "mine": holder == who.id}


def actor_name(label: str, people: dict[str, Any]) -> str:
    """An audit actor label as a practitioner reads it: participants by alias."""
    kind, _, ident = label.partition(":")
    if kind == "party" and ident in people:
        return str(people[ident]["alias"])
    return ident if kind == "staff" else label


async def item_page(
    request: web.Request,
    *,
    item_id: str | None = None,
    selection: mf.Selection | None = None,
    error: DomainError | None = None,
    status: int = 200,
) -> web.Response:
    relay, who = request.config_dict[RELAY], staff(request)
    item = await views.item_detail(relay, who, item_id or request.match_info["id"])
    detail = await cases.case_detail(relay, who, str(item["case_id"]))
    people = {str(p["id"]): p for p in detail["participants"]}  # type: ignore[attr-defined]
    text = str(item["text"])
    findings: list[dict[str, object]] = item["findings"]  # type: ignore[assignment]
    selection = selection or mf.Selection()
    try:
        spans = mf.redaction_spans(text, findings, selection)
    except DomainError:
        spans = []
    reasons = await workflow.saved_reasons(relay, who)
    names = {p.id: p.display_name for p in await dashboard.practitioners(relay, who)}
    open_case = detail["status"] not in TERMINAL
    unresolved = set(error.extra.get("unresolved", ())) if error else set()  # type: ignore[call-overload]
    context = {
        "item": item,
        "case": detail,
        "people": people,
        "segments": mf.segments(text, findings),
        "findings": findings,
        "reasons": reasons,
        "selection": selection,
        "preview": mf.preview(text, spans),
        "error": error,
        "unresolved": unresolved,
        "done": DONE.get(request.query.get("done", "")),
        "history": [
            {
                **event,
                "label": HISTORY.get(str(event["action"]), str(event["action"])),
                "who": actor_name(str(event["actor"]), people),
            }
            for event in item["history"]  # type: ignore[attr-defined]
        ],
        "awaiting": item["state"] in views.AWAITING and open_case,
        "claim": claim_of(item, names, who, relay.now()),
        "claim_minutes": relay.config.claim_seconds // 60,
        "files": item.get("attachments", []),
        "may_attach": await dashboard.may_attach(relay, who, str(item["id"])),
    }
    return render(request, "staff/item.html", context, status=status)


async def show_item(request: web.Request) -> web.Response:
    return await item_page(request)


async def decide(request: web.Request) -> web.Response:
    relay, who = request.config_dict[RELAY], staff(request)
    item_id = request.match_info["id"]
    posted = form(request)
    version = str(posted.get("version", ""))
    item = await views.item_detail(relay, who, item_id)
    findings: list[dict[str, object]] = item["findings"]  # type: ignore[assignment]
    selection: mf.Selection | None = None
    try:
        selection = mf.read_selection(posted, findings)
        if selection.action == "preview":
            return await item_page(request, selection=selection)
        if not version.isdigit():
            raise Invalid("The form is missing the item's version; reload the page.")
        decision = mf.decision(str(item["text"]), findings, selection, int(version))
        result = await decisions.decide(relay, who, item_id, decision)
    except DomainError as exc:
        if exc.status in (401, 403, 404):
            raise
        return await item_page(request, selection=selection, error=exc, status=exc.status)
    return redirect(url(request, "staff.item", {"done": str(result["state"])}, id=item_id))


item_action = staff_action(item_page, "staff.item")


@item_action
async def claim(request: web.Request, who: Staff, item_id: str) -> str:
    """ "I'm reading this" (or, for an RJ specialist, taking over someone else's claim)."""
    await decisions.claim(request.config_dict[RELAY], who, item_id, True)
    return "claimed"


@item_action
async def release(request: web.Request, who: Staff, item_id: str) -> str:
    await decisions.claim(request.config_dict[RELAY], who, item_id, False)
    return "released"


@item_action
async def attach(request: web.Request, who: Staff, item_id: str) -> str:
    upload = upload_of(request)
    if problem := upload.problem():
        raise problem
    if not upload.chosen:
        raise Invalid("Choose the scan or photo to attach first.", field="file")
    await attachments.add_attachment(request.config_dict[RELAY], who, item_id, upload.data)
    return "file_added"


@item_action
async def remove_file(request: web.Request, who: Staff, item_id: str) -> str:
    n = attachment_number(request)
    await attachments.remove_attachment(request.config_dict[RELAY], who, item_id, n)
    return "file_removed"


async def download(request: web.Request) -> web.Response:
    """A practitioner opens a file of the item (an audited read, DPA 2018 s.62)."""
    found = await attachments.read_attachment(
        request.config_dict[RELAY],
        staff(request),
        request.match_info["id"],
        attachment_number(request),
    )
    return file_response(found)
