"""The item page: findings highlighted, redaction, the decision, the item's history."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from relay.domain import cases, items, views, workflow
from relay.domain.access import TERMINAL
from relay.domain.errors import DomainError, Invalid
from relay.keys import RELAY
from relay.web import moderation_form as mf
from relay.web.forms import form, staff
from relay.web.render import redirect, render

DONE = {
    "pending": "Saved.",
    "countersign": "Approved. An RJ specialist now needs to countersign it.",
    "approved": "Approved. It will be delivered when the case is active and the recipient's "
    "delivery window is open.",
    "delivered": "Approved and delivered.",
    "returned": "Returned to the author with your note.",
    "rejected": "Rejected. The author will see your note.",
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
}


def _who(label: str, people: dict[str, Any]) -> str:
    """An audit actor label as a practitioner reads it: participants by alias."""
    kind, _, ident = label.partition(":")
    if kind == "party" and ident in people:
        return str(people[ident]["alias"])
    return ident if kind == "staff" else label


async def item_page(
    request: web.Request,
    *,
    selection: mf.Selection | None = None,
    error: DomainError | None = None,
    status: int = 200,
) -> web.Response:
    relay, who = request.app[RELAY], staff(request)
    item = await views.item_detail(relay, who, request.match_info["id"])
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
                "who": _who(str(event["actor"]), people),
            }
            for event in item["history"]  # type: ignore[attr-defined]
        ],
        "awaiting": item["state"] in views.AWAITING and detail["status"] not in TERMINAL,
    }
    return render(request, "staff/item.html", context, status=status)


async def show_item(request: web.Request) -> web.Response:
    return await item_page(request)


async def decide(request: web.Request) -> web.Response:
    relay, who = request.app[RELAY], staff(request)
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
        result = await items.decide(relay, who, item_id, decision)
    except DomainError as exc:
        if exc.status in (401, 403, 404):
            raise
        return await item_page(request, selection=selection, error=exc, status=exc.status)
    return redirect(f"/staff/items/{item_id}?done={result['state']}")
