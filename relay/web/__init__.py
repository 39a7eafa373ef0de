"""The web pages: the practitioner workspace (/staff/) and the participant portal (/me/).

Pages call the same domain functions as the JSON API; nothing here decides who may do what.
"""

from __future__ import annotations

import logging
from pathlib import Path

from aiohttp import web

from relay.domain.errors import DomainError, TooManyAttempts, Unauthorized
from relay.http import Handler
from relay.web import party_pages as me
from relay.web import staff_cases as sc
from relay.web import staff_items as si
from relay.web import staff_workflow as sw
from relay.web.render import error_page, redirect, render, setup_templates
from relay.web.security import (
    CsrfFailed,
    area,
    check_csrf,
    clear_session_cookie,
    load_session,
)

log = logging.getLogger("relay.web")


def templates_dir() -> Path:
    """templates/ ships inside the wheel as relay/templates; in a checkout it is at the root."""
    packaged = Path(__file__).resolve().parents[1] / "templates"
    if packaged.is_dir():
        return packaged
    return Path(__file__).resolve().parents[2] / "templates"


@web.middleware
async def pages_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    """For /staff and /me: load the cookie session, check CSRF on every POST, and answer
    errors with a friendly HTML page (the API's problem+json is for machines)."""
    section = area(request.path)
    if section is None:
        return await handler(request)
    try:
        await load_session(request, section)
        if request.method not in ("GET", "HEAD", "OPTIONS"):
            await check_csrf(request)
        return await handler(request)
    except Unauthorized as exc:
        if request.method in ("GET", "HEAD"):
            response = redirect(f"/{section}/login")
        else:
            response = error_page(request, 401, exc.detail)
        clear_session_cookie(response, section)
        return response
    except TooManyAttempts as exc:
        response = error_page(request, 429, exc.detail)
        response.headers["Retry-After"] = str(exc.retry_after)
        return response
    except DomainError as exc:
        title = exc.title if isinstance(exc, CsrfFailed) else None
        return error_page(request, exc.status, exc.detail, title=title, extra=exc.extra)
    except web.HTTPException as exc:
        if exc.status < 400:
            raise
        detail = {
            404: "There is no page at this address.",
            405: "This page cannot be used that way.",
            413: "That was too long to accept. Please shorten it and try again.",
        }.get(exc.status, exc.reason)
        response = error_page(request, exc.status, detail)
        if "Allow" in exc.headers:
            response.headers["Allow"] = exc.headers["Allow"]
        return response
    except Exception:
        log.exception("unexpected error on %s %s", request.method, request.path)
        return error_page(request, 500, "Nothing was changed. Please try again in a moment.")


def setup_web(app: web.Application) -> None:
    """Templates, static files, the page routes and the pages' middleware."""
    folder = templates_dir()
    setup_templates(app, str(folder))
    # Innermost middleware: it sees page handlers' errors before the API's problem+json layer.
    app.middlewares.append(pages_middleware)
    app.router.add_static("/static/", folder / "static", name="static")
    get, post = app.router.add_get, app.router.add_post
    get("/", _index, name="index")
    get("/staff", _staff_home)
    get("/staff/login", sc.login_page, name="staff.login")
    post("/staff/login", sc.login)
    post("/staff/logout", sc.logout, name="staff.logout")
    get("/staff/", sc.home, name="staff.home")
    get("/staff/cases/new", sc.new_case_page, name="staff.case_new")
    post("/staff/cases", sc.create_case, name="staff.cases")
    get("/staff/cases/{id}", sc.show_case, name="staff.case")
    get("/staff/cases/{id}/participants/new", sc.new_participant_page)
    post("/staff/cases/{id}/participants", sc.add_participant)
    post("/staff/cases/{id}/participants/{pid}/contact", sc.reveal_contact)
    post("/staff/cases/{id}/participants/{pid}/consent", sc.consent)
    post("/staff/cases/{id}/participants/{pid}/assessment", sc.assessment)
    post("/staff/cases/{id}/participants/{pid}/supporter-access", sc.supporter_access)
    post("/staff/cases/{id}/participants/{pid}/withdraw", sc.withdraw)
    post("/staff/cases/{id}/admission", sc.admission)
    post("/staff/cases/{id}/activate", sc.activate)
    post("/staff/cases/{id}/pause", sc.pause)
    post("/staff/cases/{id}/notifications/retry", sc.retry_notifications)
    post("/staff/cases/{id}/close", sc.close)
    post("/staff/cases/{id}/assign", sc.assign)
    get("/staff/cases/{id}/letters/new", sc.paper_letter_page)
    post("/staff/cases/{id}/letters", sc.paper_letter, name="staff.letters")
    get("/staff/cases/{id}/thread", sw.thread_page, name="staff.thread")
    get("/staff/cases/{id}/conference", sw.conference_page, name="staff.conference")
    post("/staff/cases/{id}/conference/meeting", sw.save_meeting)
    post("/staff/cases/{id}/conference/consent/{pid}", sw.meet_consent)
    post("/staff/cases/{id}/conference/preparation/{pid}", sw.preparation)
    get("/staff/reasons", sw.reasons_page, name="staff.reasons")
    post("/staff/reasons", sw.save_reasons)
    get("/staff/items/{id}", si.show_item, name="staff.item")
    post("/staff/items/{id}/decision", si.decide)
    post("/staff/items/{id}/claim", si.claim)
    post("/staff/items/{id}/release", si.release)
    post("/staff/items/{id}/attachments", si.attach, name="staff.attachments")
    get("/staff/items/{id}/attachments/{n}", si.download)
    post("/staff/items/{id}/attachments/{n}/remove", si.remove_file)

    get("/me", _me_home)
    get("/me/activate", me.activate_page, name="me.activate")
    post("/me/activate", me.activate)
    get("/me/login", me.login_page, name="me.login")
    post("/me/login", me.login)
    post("/me/logout", me.logout, name="me.logout")
    get("/me/", me.home, name="me.home")
    get("/me/write", me.write_page)
    post("/me/write", me.write, name="me.write")
    get("/me/correspondence", me.correspondence, name="me.correspondence")
    get("/me/items/{id}", me.show_item)
    post("/me/items/{id}/open", me.open_item)
    get("/me/items/{id}/decline", me.decline_page)
    post("/me/items/{id}/decline", me.decline_item)
    post("/me/items/{id}/ask-practitioner", me.ask_practitioner)
    post("/me/items/{id}/revise", me.revise, name="me.revise")
    post("/me/items/{id}/attachments", me.attach, name="me.attachments")
    get("/me/items/{id}/attachments/{n}", me.download)
    post("/me/items/{id}/attachments/{n}/remove", me.remove_file)
    get("/me/withdraw", me.withdraw_page)
    post("/me/withdraw", me.withdraw)
    get("/me/preferences", me.preferences_page)
    post("/me/preferences", me.save_preferences)


async def _index(request: web.Request) -> web.Response:
    return render(request, "index.html")


async def _staff_home(request: web.Request) -> web.Response:
    return redirect("/staff/")


async def _me_home(request: web.Request) -> web.Response:
    return redirect("/me/")
