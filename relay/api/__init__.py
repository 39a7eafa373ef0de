"""The JSON API under /api/v1 (DESIGN.md's contract): a sub-app with its own middleware."""

from __future__ import annotations

from aiohttp import web

from relay.api import attachments, openapi, party, staff, workflow
from relay.api.auth import bearer_middleware
from relay.api.idempotency import idempotency_middleware
from relay.api.problem import problem_middleware

PREFIX = "/api/v1"  # where create_app mounts the API


def create_api_app() -> web.Application:
    """Every error as problem+json (outermost, so it answers the others' errors too), then the
    bearer token's actor, then Idempotency-Key replays."""
    api = web.Application(
        middlewares=[problem_middleware, bearer_middleware, idempotency_middleware]
    )
    setup_api_routes(api)
    return api


def setup_api_routes(app: web.Application) -> None:
    """The routes, relative to PREFIX, with a name each."""
    add = app.router.add_route
    routes = [
        ("GET", "/openapi.json", openapi.serve, "openapi"),
        ("POST", "/login", staff.login, "login"),
        ("POST", "/logout", staff.logout, "logout"),
        ("POST", "/practitioners", staff.add_practitioner, "practitioners"),
        ("POST", "/cases", staff.create_case, "cases.create"),
        ("GET", "/cases", staff.list_cases, "cases.list"),
        ("GET", "/cases/{id}", staff.get_case, "case"),
        ("POST", "/cases/{id}/assign", staff.assign, "case.assign"),
        ("POST", "/cases/{id}/participants", staff.add_participant, "case.participants"),
        ("GET", "/cases/{id}/participants/{pid}/contact", staff.reveal_contact, "contact"),
        ("POST", "/cases/{id}/participants/{pid}/consent", staff.consent, "consent"),
        ("POST", "/cases/{id}/participants/{pid}/assessments", staff.assessment, "assessment"),
        (
            "POST",
            "/cases/{id}/participants/{pid}/supporter-access",
            staff.supporter_access,
            "supporter_access",
        ),
        ("POST", "/cases/{id}/participants/{pid}/withdraw", staff.withdraw, "case.withdraw"),
        ("POST", "/cases/{id}/admission", staff.admission, "admission"),
        ("POST", "/cases/{id}/activate", staff.activate, "activate"),
        ("POST", "/cases/{id}/pause", staff.pause, "pause"),
        (
            "POST",
            "/cases/{id}/notifications/retry",
            staff.retry_notifications,
            "notifications.retry",
        ),
        ("POST", "/cases/{id}/close", workflow.close_case, "close"),
        ("GET", "/cases/{id}/thread", workflow.get_thread, "case.thread"),
        ("GET", "/cases/{id}/conference", workflow.get_conference, "conference"),
        ("PUT", "/cases/{id}/meeting", workflow.put_meeting, "meeting"),
        (
            "POST",
            "/cases/{id}/participants/{pid}/meet-consent",
            workflow.meet_consent,
            "meet_consent",
        ),
        (
            "POST",
            "/cases/{id}/participants/{pid}/preparation",
            workflow.preparation,
            "preparation",
        ),
        ("GET", "/reasons", workflow.get_reasons, "reasons"),
        ("PUT", "/reasons", workflow.put_reasons, "reasons"),
        ("GET", "/reports", workflow.get_report, "reports"),
        ("GET", "/me/correspondence", workflow.correspondence, "me.correspondence"),
        ("POST", "/cases/{id}/items", staff.paper_letter, "paper_letter"),
        ("GET", "/cases/{id}/audit", staff.case_audit, "case.audit"),
        ("GET", "/queue", staff.get_queue, "queue"),
        ("GET", "/items/{id}", staff.get_item, "item"),
        ("POST", "/items/{id}/decision", staff.decide, "decision"),
        ("POST", "/items/{id}/claim", staff.claim, "claim"),
        ("DELETE", "/items/{id}/claim", staff.claim, "unclaim"),
        ("POST", "/party/activate", party.activate, "party.activate"),
        ("POST", "/party/login", party.login, "party.login"),
        ("GET", "/me", party.me, "me"),
        ("POST", "/me/items", party.write, "me.write"),
        ("GET", "/me/items", party.my_items, "me.items"),
        ("POST", "/me/items/{id}/revise", party.revise, "me.revise"),
        ("POST", "/me/items/{id}/open", party.open_item, "me.open"),
        ("POST", "/me/items/{id}/decline", party.decline_item, "me.decline"),
        ("POST", "/me/items/{id}/ask-practitioner", party.ask_practitioner, "me.ask"),
        ("POST", "/me/withdraw", party.withdraw, "me.withdraw"),
        ("GET", "/me/preferences", party.get_preferences, "me.preferences"),
        ("PUT", "/me/preferences", party.put_preferences, "me.preferences.put"),
        ("POST", "/items/{id}/attachments", attachments.upload_staff, "attachments"),
        ("GET", "/items/{id}/attachments/{n}", attachments.download_staff, "attachment"),
        ("DELETE", "/items/{id}/attachments/{n}", attachments.remove_staff, "attachment"),
        ("POST", "/me/items/{id}/attachments", attachments.upload_mine, "me.attachments"),
        ("GET", "/me/items/{id}/attachments/{n}", attachments.download_mine, "me.attachment"),
        ("DELETE", "/me/items/{id}/attachments/{n}", attachments.remove_mine, "me.attachment"),
    ]
    for method, path, handler, name in routes:
        add(method, path, handler, name=f"api.{name}.{method.lower()}")
