"""The participant portal (/me/): activation, sign-in, letters in and out, withdrawal.

Every page is built from the domain's party-facing views (`portal.me`, `portal.my_items`),
which never load the vault: a participant sees the other side's alias and delivered text only.
"""

from __future__ import annotations

from typing import Any

from aiohttp import web

from relay.domain import attachments, cases, dashboard, items, portal, sessions
from relay.domain.access import principal_only
from relay.domain.actors import Party
from relay.domain.errors import DomainError, Invalid, NotFound
from relay.http import ACTOR, CSRF, RELAY
from relay.inputs import party as inputs
from relay.web.forms import fields, form, party
from relay.web.render import redirect, render, signin_error
from relay.web.security import clear_session_cookie, set_session_cookie
from relay.web.uploads import (
    attachment_number,
    file_not_added,
    file_response,
    revise_with_upload,
    upload_of,
)
from relay.web.urls import url

DONE = {
    "sent": "Thank you. Your letter is with your practitioner, who will read it first.",
    "revised": "Thank you. Your changed letter is with your practitioner again.",
    "asked": "Your practitioner has been told you would like to talk about this.",
    "declined": "This will not be shown to you. Nothing more is needed from you.",
    "saved": "Your choices are saved.",
    "file_added": "The file is attached. Your practitioner will look at it with your letter.",
    "file_removed": "The file is removed.",
}


async def activate_page(request: web.Request) -> web.Response:
    return render(request, "me/activate.html", {"code": request.query.get("code", "")[:64]})


async def activate(request: web.Request) -> web.Response:
    posted = form(request)
    code = str(posted.get("code", ""))
    try:
        data = fields(request, inputs.PartyActivate)
        again = posted.get("passphrase_again")
        if isinstance(again, str) and again and again != data.passphrase:
            raise Invalid("The two passphrases are not the same. Please type them again.")
        session, login = await sessions.party_activate(
            request.config_dict[RELAY], data.code, data.passphrase
        )
    except DomainError as exc:
        return signin_error(request, "me/activate.html", exc, {"code": code})
    request[ACTOR] = session.actor
    request[CSRF] = session.csrf_token
    response = render(request, "me/activated.html", {"login": login})
    set_session_cookie(response, request, session)
    return response


async def login_page(request: web.Request) -> web.Response:
    if isinstance(request.get(ACTOR), Party):
        return redirect(url(request, "me.home"))
    return render(request, "me/login.html", {"login": ""})


async def login(request: web.Request) -> web.Response:
    handle = str(form(request).get("login", ""))
    try:
        data = fields(request, inputs.PartyLogin)
        session = await sessions.party_login(
            request.config_dict[RELAY], data.login, data.passphrase
        )
    except DomainError as exc:
        return signin_error(request, "me/login.html", exc, {"login": handle})
    response = redirect(url(request, "me.home"))
    set_session_cookie(response, request, session)
    return response


async def logout(request: web.Request) -> web.Response:
    await sessions.logout(request.config_dict[RELAY], party(request))
    response = redirect(url(request, "me.login", {"bye": 1}))
    clear_session_cookie(response, request, "me")
    return response


async def home(request: web.Request) -> web.Response:
    relay, who = request.config_dict[RELAY], party(request)
    me = await portal.me(relay, who)
    mine = await portal.my_items(relay, who)
    context = {
        "me": me,
        "sent": mine["sent"],
        "received": mine["received"],
        "done": DONE.get(request.query.get("done", "")),
    }
    return render(request, "me/home.html", context)


async def write_page(request: web.Request) -> web.Response:
    me = await portal.me(request.config_dict[RELAY], party(request))
    return render(request, "me/write.html", {"me": me, "values": {"kind": "letter"}})


async def write(request: web.Request) -> web.Response:
    relay, who = request.config_dict[RELAY], party(request)
    upload = upload_of(request)
    try:
        if problem := upload.problem():
            raise problem  # before anything is sent: what they wrote stays on the form
        data = fields(request, inputs.NewItem)
        written = await items.write_item(relay, who, kind=data.kind, body=data.body)
    except DomainError as exc:
        if exc.status in (401, 403, 404):
            raise
        me = await portal.me(relay, who)
        context = {"me": me, "values": dict(form(request)), "error": exc.detail}
        return render(request, "me/write.html", context, status=exc.status)
    if upload.chosen:
        item_id = str(written["id"])
        try:
            await attachments.add_attachment(relay, who, item_id, upload.data)
        except DomainError as exc:
            if exc.status in (401, 403, 404):
                raise
            error = file_not_added(exc, "Your letter is with your practitioner.")
            return await item_page(request, item_id=item_id, error=error.detail, status=exc.status)
    return redirect(url(request, "me.home", {"done": "sent"}))


async def _find(request: web.Request, item_id: str) -> tuple[str, dict[str, Any]]:
    """One of the participant's own items, from the same view as their home page."""
    mine = await portal.my_items(request.config_dict[RELAY], party(request))
    for relation in ("sent", "received"):
        for entry in mine[relation]:
            if entry["id"] == item_id:
                return relation, entry
    raise NotFound()


async def item_page(
    request: web.Request,
    *,
    item_id: str | None = None,
    error: str | None = None,
    status: int = 200,
    template: str | None = None,
) -> web.Response:
    relay, who = request.config_dict[RELAY], party(request)
    relation, entry = await _find(request, item_id or request.match_info["id"])
    me = await portal.me(relay, who)
    context = {
        "me": me,
        "relation": relation,
        "entry": entry,
        "error": error,
        "done": DONE.get(request.query.get("done", "")),
        "may_attach": relation == "sent" and await dashboard.may_attach(relay, who, entry["id"]),
    }
    return render(request, template or f"me/{relation}.html", context, status=status)


async def show_item(request: web.Request) -> web.Response:
    return await item_page(request)


async def _received_action(request: web.Request, operation: Any, done: str) -> web.Response:
    item_id = request.match_info["id"]
    try:
        await operation(request.config_dict[RELAY], party(request), item_id)
    except DomainError as exc:
        if exc.status in (401, 404):
            raise
        return await item_page(request, error=exc.detail, status=exc.status)
    return redirect(url(request, "me.item", {"done": done} if done else None, id=item_id))


async def open_item(request: web.Request) -> web.Response:
    return await _received_action(request, portal.open_item, "")


async def decline_page(request: web.Request) -> web.Response:
    """The confirm step: what declining means, before anything changes."""
    principal_only(party(request))
    relation, entry = await _find(request, request.match_info["id"])
    if relation != "received" or entry["state"] != "waiting":
        return redirect(url(request, "me.item", id=entry["id"]))
    return await item_page(request, template="me/decline.html")


async def decline_item(request: web.Request) -> web.Response:
    if form(request).get("confirm") != "yes":
        return await decline_page(request)  # nothing changes without the confirm step
    return await _received_action(request, portal.decline_item, "declined")


async def ask_practitioner(request: web.Request) -> web.Response:
    return await _received_action(request, portal.ask_practitioner, "asked")


async def revise(request: web.Request) -> web.Response:
    relay, who = request.config_dict[RELAY], party(request)
    item_id = request.match_info["id"]
    try:
        data = fields(request, inputs.Revision)
        # The changed letter and its file land in one transaction, or neither does.
        await revise_with_upload(relay, who, item_id, data.body, upload_of(request))
    except DomainError as exc:
        if exc.status in (401, 403, 404):
            raise
        return await item_page(request, error=exc.detail, status=exc.status)
    return redirect(url(request, "me.item", {"done": "revised"}, id=item_id))


async def attach(request: web.Request) -> web.Response:
    relay, who = request.config_dict[RELAY], party(request)
    item_id = request.match_info["id"]
    upload = upload_of(request)
    try:
        if problem := upload.problem():
            raise problem
        if not upload.chosen:
            raise Invalid("Choose the scan or photo to attach first.", field="file")
        await attachments.add_attachment(relay, who, item_id, upload.data)
    except DomainError as exc:
        if exc.status in (401, 403, 404):
            raise
        return await item_page(request, error=exc.detail, status=exc.status)
    return redirect(url(request, "me.item", {"done": "file_added"}, id=item_id))


async def remove_file(request: web.Request) -> web.Response:
    relay, who = request.config_dict[RELAY], party(request)
    item_id = request.match_info["id"]
    try:
        await attachments.remove_attachment(relay, who, item_id, attachment_number(request))
    except DomainError as exc:
        if exc.status in (401, 403, 404):
            raise
        return await item_page(request, error=exc.detail, status=exc.status)
    return redirect(url(request, "me.item", {"done": "file_removed"}, id=item_id))


async def download(request: web.Request) -> web.Response:
    """A file of the participant's own letter, or of one they opened (the domain decides)."""
    found = await attachments.read_attachment(
        request.config_dict[RELAY],
        party(request),
        request.match_info["id"],
        attachment_number(request),
    )
    return file_response(found)


async def correspondence(request: web.Request) -> web.Response:
    """Everything they sent as delivered and everything they opened, ready to print."""
    relay, who = request.config_dict[RELAY], party(request)
    record = await portal.correspondence(relay, who)
    me = await portal.me(relay, who)
    today = relay.now().astimezone(relay.config.timezone).date().isoformat()
    context = {"me": me, "record": record, "today": today}
    return render(request, "me/correspondence.html", context)


async def withdraw_page(request: web.Request) -> web.Response:
    relay, who = request.config_dict[RELAY], party(request)
    me = await portal.me(relay, who)
    return render(request, "me/withdraw.html", {"me": me})


async def withdraw(request: web.Request) -> web.Response:
    relay = request.config_dict[RELAY]
    who = portal.forbid_supporter_withdrawal(party(request))
    if form(request).get("confirm") != "yes":
        me = await portal.me(relay, who)
        error = "If you want to stop, tick the box to confirm. Nothing has changed yet."
        return render(request, "me/withdraw.html", {"me": me, "error": error}, status=422)
    await cases.withdraw(relay, who, who.case_id, who.id)
    me = await portal.me(relay, who)
    return render(request, "me/withdrawn.html", {"me": me})


async def preferences_page(request: web.Request) -> web.Response:
    relay, who = request.config_dict[RELAY], party(request)
    prefs = await portal.preferences(relay, who)
    me = await portal.me(relay, who)
    done = DONE.get(request.query.get("done", ""))
    return render(request, "me/preferences.html", {"me": me, "prefs": prefs, "done": done})


async def save_preferences(request: web.Request) -> web.Response:
    relay, who = request.config_dict[RELAY], party(request)
    posted = form(request)
    try:
        window = None
        if posted.get("when") == "window":
            ticked = [str(d) for d in posted.getall("days", [])]  # type: ignore[attr-defined]
            days = [int(d) for d in ticked if d.isascii() and d.isdigit() and len(d) < 3]
            window = {"days": days, "start": posted.get("start", ""), "end": posted.get("end", "")}
        data = fields(
            request,
            inputs.Preferences,
            read_receipts=posted.get("read_receipts") == "yes",
            delivery_window=window,
        )
        await portal.set_preferences(relay, who, data.read_receipts, data.window())
    except DomainError as exc:
        if exc.status in (401, 403, 404):
            raise
        prefs = await portal.preferences(relay, who)
        me = await portal.me(relay, who)
        context = {"me": me, "prefs": prefs, "error": exc.detail}
        return render(request, "me/preferences.html", context, status=exc.status)
    return redirect(url(request, "me.preferences", {"done": "saved"}))
