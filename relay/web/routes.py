"""Every page route, with a name each: links and redirects are built from the names
(relay/web/urls.py), so the paths below are the only place a page's address is written.

The two areas are sub-apps with their own middleware (relay/web/middleware.py): the
practitioner workspace under /staff and the participant portal under /me. The front page and
the static files are the root app's own routes.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from pathlib import Path

from aiohttp import web

from relay.web import party_pages as me
from relay.web import staff_cases as sc
from relay.web import staff_items as si
from relay.web import staff_workflow as sw
from relay.web.middleware import pages_middleware
from relay.web.render import redirect, render
from relay.web.security import AREA
from relay.web.urls import PAGES, Pages, url


async def _index(request: web.Request) -> web.Response:
    return render(request, "index.html")


async def _staff_root(request: web.Request) -> web.Response:
    return redirect(url(request, "staff.home"))


async def _me_root(request: web.Request) -> web.Response:
    return redirect(url(request, "me.home"))


Route = tuple[str, str, Callable[[web.Request], Awaitable[web.StreamResponse]], str]

STAFF: list[Route] = [
    ("GET", "", _staff_root, "staff.root"),
    ("GET", "/login", sc.login_page, "staff.login"),
    ("POST", "/login", sc.login, "staff.login"),
    ("POST", "/logout", sc.logout, "staff.logout"),
    ("GET", "/", sc.home, "staff.home"),
    ("GET", "/cases/new", sc.new_case_page, "staff.case_new"),
    ("POST", "/cases", sc.create_case, "staff.cases"),
    ("GET", "/cases/{id}", sc.show_case, "staff.case"),
    ("GET", "/cases/{id}/participants/new", sc.new_participant_page, "staff.participant_new"),
    ("POST", "/cases/{id}/participants", sc.add_participant, "staff.participants"),
    ("POST", "/cases/{id}/participants/{pid}/contact", sc.reveal_contact, "staff.contact"),
    ("POST", "/cases/{id}/participants/{pid}/consent", sc.consent, "staff.consent"),
    ("POST", "/cases/{id}/participants/{pid}/assessment", sc.assessment, "staff.assessment"),
    (
        "POST",
        "/cases/{id}/participants/{pid}/supporter-access",
        sc.supporter_access,
        "staff.supporter_access",
    ),
    ("POST", "/cases/{id}/participants/{pid}/withdraw", sc.withdraw, "staff.withdraw"),
    ("POST", "/cases/{id}/admission", sc.admission, "staff.admission"),
    ("POST", "/cases/{id}/activate", sc.activate, "staff.activate"),
    ("POST", "/cases/{id}/pause", sc.pause, "staff.pause"),
    ("POST", "/cases/{id}/notifications/retry", sc.retry_notifications, "staff.retry"),
    ("POST", "/cases/{id}/close", sc.close, "staff.close"),
    ("POST", "/cases/{id}/assign", sc.assign, "staff.assign"),
    ("GET", "/cases/{id}/letters/new", sc.paper_letter_page, "staff.letter_new"),
    ("POST", "/cases/{id}/letters", sc.paper_letter, "staff.letters"),
    ("GET", "/cases/{id}/thread", sw.thread_page, "staff.thread"),
    ("GET", "/cases/{id}/conference", sw.conference_page, "staff.conference"),
    ("POST", "/cases/{id}/conference/meeting", sw.save_meeting, "staff.meeting"),
    ("POST", "/cases/{id}/conference/consent/{pid}", sw.meet_consent, "staff.meet_consent"),
    ("POST", "/cases/{id}/conference/preparation/{pid}", sw.preparation, "staff.preparation"),
    ("GET", "/reasons", sw.reasons_page, "staff.reasons"),
    ("POST", "/reasons", sw.save_reasons, "staff.reasons"),
    ("GET", "/items/{id}", si.show_item, "staff.item"),
    ("POST", "/items/{id}/decision", si.decide, "staff.decision"),
    ("POST", "/items/{id}/claim", si.claim, "staff.claim"),
    ("POST", "/items/{id}/release", si.release, "staff.release"),
    ("POST", "/items/{id}/attachments", si.attach, "staff.attachments"),
    ("GET", "/items/{id}/attachments/{n}", si.download, "staff.attachment"),
    ("POST", "/items/{id}/attachments/{n}/remove", si.remove_file, "staff.attachment_remove"),
]

PARTY: list[Route] = [
    ("GET", "", _me_root, "me.root"),
    ("GET", "/activate", me.activate_page, "me.activate"),
    ("POST", "/activate", me.activate, "me.activate"),
    ("GET", "/login", me.login_page, "me.login"),
    ("POST", "/login", me.login, "me.login"),
    ("POST", "/logout", me.logout, "me.logout"),
    ("GET", "/", me.home, "me.home"),
    ("GET", "/write", me.write_page, "me.write"),
    ("POST", "/write", me.write, "me.write"),
    ("GET", "/correspondence", me.correspondence, "me.correspondence"),
    ("GET", "/items/{id}", me.show_item, "me.item"),
    ("POST", "/items/{id}/open", me.open_item, "me.open"),
    ("GET", "/items/{id}/decline", me.decline_page, "me.decline"),
    ("POST", "/items/{id}/decline", me.decline_item, "me.decline"),
    ("POST", "/items/{id}/ask-practitioner", me.ask_practitioner, "me.ask"),
    ("POST", "/items/{id}/revise", me.revise, "me.revise"),
    ("POST", "/items/{id}/attachments", me.attach, "me.attachments"),
    ("GET", "/items/{id}/attachments/{n}", me.download, "me.attachment"),
    ("POST", "/items/{id}/attachments/{n}/remove", me.remove_file, "me.attachment_remove"),
    ("GET", "/withdraw", me.withdraw_page, "me.withdraw"),
    ("POST", "/withdraw", me.withdraw, "me.withdraw"),
    ("GET", "/preferences", me.preferences_page, "me.preferences"),
    ("POST", "/preferences", me.save_preferences, "me.preferences"),
]

# (mount point, area name, routes): an area's name is the first part of its route names.
AREAS = (("/staff", "staff", STAFF), ("/me", "me", PARTY))


def add_routes(app: web.Application, routes: list[Route]) -> None:
    """GET routes answer HEAD too; a path's methods share one resource (and its name)."""
    for method, path, handler, name in routes:
        if method == "GET":
            app.router.add_get(path, handler, name=name)
        else:
            app.router.add_route(method, path, handler, name=name)


def area_app(area: str, routes: list[Route]) -> web.Application:
    """One area's sub-app: its cookie session, CSRF and HTML errors (pages_middleware)."""
    sub = web.Application(middlewares=[pages_middleware])
    sub[AREA] = area
    add_routes(sub, routes)
    return sub


def setup_routes(app: web.Application, static: Path) -> Pages:
    """The root's own pages, the two areas mounted beside the API; the names of them all."""
    app.router.add_get("/", _index, name="index")
    app.router.add_static("/static/", static, name="static")
    apps = [app]
    for prefix, area, routes in AREAS:
        sub = area_app(area, routes)
        app.add_subapp(prefix, sub)
        apps.append(sub)
    pages = app[PAGES] = Pages(*apps)
    return pages
