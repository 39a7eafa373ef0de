"""CSRF, cookie sessions and who may open which page."""

from __future__ import annotations

import dataclasses
import re
from typing import Any

import pytest
from aiohttp.test_utils import TestClient

from relay.app import create_app
from relay.config import Config
from relay.domain.sessions import add_practitioner
from relay.http import RELAY
from tests.conftest import PASSWORD, World, add_party, staff_login
from tests.web.conftest import NewVisitor, Visitor, party_signed_in, staff_signed_in


async def _status(world: World) -> str:
    case = await world.api.ok("GET", f"/cases/{world.case_id}", world.specialist)
    return str(case["status"])


async def _sent(world: World, token: str) -> list[Any]:
    return (await world.api.ok("GET", "/me/items", token))["sent"]


@pytest.mark.parametrize("token", [None, "", "not-the-token"])
async def test_staff_form_without_a_valid_csrf_token_is_refused_and_changes_nothing(
    world: World, sam: Visitor, token: str | None
) -> None:
    await world.api.ok("POST", f"/cases/{world.case_id}/pause", world.specialist)
    fields = [] if token is None else [("csrf_token", token)]
    reply = await sam.client.post(f"/staff/cases/{world.case_id}/activate", data=fields)
    assert reply.status == 403
    assert "text/html" in reply.headers["Content-Type"]
    assert await _status(world) == "paused"


@pytest.mark.parametrize("token", [None, "", "forged"])
async def test_participant_form_without_a_valid_csrf_token_is_refused_and_changes_nothing(
    world: World, responsible: Visitor, token: str | None
) -> None:
    data = {"kind": "letter", "body": "Hello"}
    if token is not None:
        data["csrf_token"] = token
    reply = await responsible.client.post("/me/write", data=data, allow_redirects=False)
    assert reply.status == 403
    withdraw = await responsible.client.post(
        "/me/withdraw", data={"confirm": "yes", **({"csrf_token": token} if token else {})}
    )
    assert withdraw.status == 403
    assert await _sent(world, world.responsible) == []
    assert await _status(world) == "active"


async def test_another_sessions_csrf_token_is_refused(
    world: World, harmed: Visitor, responsible: Visitor
) -> None:
    reply = await responsible.post(
        "/me/write", {"kind": "letter", "body": "Hello", "csrf_token": harmed.csrf}
    )
    assert reply.status == 403
    assert await _sent(world, world.responsible) == []


async def test_logout_needs_the_csrf_token(sam: Visitor) -> None:
    reply = await sam.client.post("/staff/logout", data={}, allow_redirects=False)
    assert reply.status == 403
    assert (await sam.get("/staff/")).status == 200


async def test_sign_in_form_needs_the_signed_form_token(client: TestClient) -> None:
    reply = await client.post(
        "/staff/login",
        data={"username": "sam", "password": PASSWORD, "csrf_token": "guess"},
        allow_redirects=False,
    )
    assert reply.status == 403
    assert "relay_staff" not in reply.cookies


async def test_a_planted_form_cookie_does_not_make_a_valid_token(client: TestClient) -> None:
    """Naive double-submit would accept cookie == field; the field must be HMAC(key, cookie)."""
    nonce = "A" * 43
    client.session.cookie_jar.update_cookies({"relay_form": nonce})
    reply = await client.post(
        "/me/login",
        data={"login": "rj-whatever", "passphrase": "x" * 12, "csrf_token": nonce},
        allow_redirects=False,
    )
    assert reply.status == 403


async def test_session_cookie_is_httponly_strict_and_scoped_to_its_area(
    visitor: NewVisitor, world: World
) -> None:
    person = await visitor()
    await person.get("/staff/login")
    response = await person.client.post(
        "/staff/login",
        data={"username": "sam", "password": PASSWORD, "csrf_token": person.csrf},
        allow_redirects=False,
    )
    cookie = response.cookies["relay_staff"]
    assert cookie["httponly"] and cookie["samesite"] == "Strict" and cookie["path"] == "/staff"
    assert not cookie["secure"]
    party = await visitor()
    await party.get("/me/login")
    response = await party.client.post(
        "/me/login",
        data={
            "login": world.logins["harmed"],
            "passphrase": "a long quiet river",
            "csrf_token": party.csrf,
        },
        allow_redirects=False,
    )
    assert response.status == 303
    assert response.cookies["relay_me"]["path"] == "/me"


async def test_session_cookie_is_secure_when_configured(
    aiohttp_client: Any, config: Config
) -> None:
    app = create_app(dataclasses.replace(config, secure_cookies=True))
    client = await aiohttp_client(app)
    await add_practitioner(
        app[RELAY], None, username="sam", password=PASSWORD, role="specialist", display_name="S"
    )
    page = await client.get("/staff/login")
    assert page.cookies["relay_form"]["secure"]
    token = re.search(r'name="csrf_token" value="([^"]+)"', await page.text())
    assert token
    # The client (rightly) keeps a Secure cookie to itself over plain http: send it by hand.
    reply = await client.post(
        "/staff/login",
        data={"username": "sam", "password": PASSWORD, "csrf_token": token.group(1)},
        headers={"Cookie": f"relay_form={page.cookies['relay_form'].value}"},
        allow_redirects=False,
    )
    assert reply.status == 303
    assert reply.cookies["relay_staff"]["secure"]


STAFF_PAGES = [
    "/staff/",
    "/staff/cases/new",
    "/staff/cases/{case}",
    "/staff/cases/{case}/participants/new",
    "/staff/cases/{case}/letters/new",
    "/staff/items/{item}",
    "/staff/items/{item}/attachments/1",
    "/staff/cases/{case}/thread",
    "/staff/cases/{case}/conference",
    "/staff/reasons",
]


@pytest.mark.parametrize("path", STAFF_PAGES)
async def test_a_participants_session_cannot_open_any_staff_page(
    world: World, visitor: NewVisitor, path: str
) -> None:
    written = await world.api.ok(
        "POST", "/me/items", world.harmed, {"kind": "letter", "body": "Quietly"}, status=201
    )
    url = path.format(case=world.case_id, item=written["id"])
    person = await party_signed_in(visitor, world.logins["harmed"])
    # Its own cookie is scoped to /me, so a staff page just asks for a practitioner's sign-in.
    reply = await person.get(url)
    assert reply.status == 303 and reply.location == "/staff/login"
    # The same token planted in the practitioners' cookie meets the domain's staff_only.
    forged = await visitor()
    forged.client.session.cookie_jar.update_cookies({"relay_staff": world.harmed})
    reply = await forged.get(url)
    assert reply.status == 403
    assert "Quietly" not in reply.text and world.case_id not in reply.text
    assert "Sign out" not in reply.text


async def test_a_participants_session_cannot_post_to_a_staff_form(
    world: World, visitor: NewVisitor
) -> None:
    await world.api.ok("POST", f"/cases/{world.case_id}/pause", world.specialist)
    forged = await visitor()
    forged.client.session.cookie_jar.update_cookies({"relay_staff": world.harmed})
    # The CSRF token of a party session is not a staff session's: refused before anything runs.
    reply = await forged.client.post(
        f"/staff/cases/{world.case_id}/activate", data={"csrf_token": "x"}
    )
    assert reply.status == 403
    assert await _status(world) == "paused"


async def test_a_participant_cannot_open_another_participants_item(
    world: World, harmed: Visitor, responsible: Visitor
) -> None:
    theirs = await world.api.ok(
        "POST", "/me/items", world.responsible, {"kind": "letter", "body": "Draft"}, status=201
    )
    reply = await harmed.get(f"/me/items/{theirs['id']}")
    assert reply.status == 404
    assert "Draft" not in reply.text
    reply = await harmed.post(f"/me/items/{theirs['id']}/open")
    assert reply.status == 404
    assert (await responsible.get(f"/me/items/{theirs['id']}")).status == 200


async def test_a_participant_of_another_case_sees_nothing_of_this_one(
    world: World, visitor: NewVisitor
) -> None:
    token = await staff_login(world.api)
    other = await world.api.ok(
        "POST",
        "/cases",
        token,
        {"crime_reference": "CR/2", "modality": "letters", "risk_level": "standard"},
        status=201,
    )
    stranger = await add_party(world.api, token, other["id"], "harmed", "Robin")
    body = await world.api.ok(
        "POST",
        "/party/activate",
        json={"code": stranger["invite_code"], "passphrase": "a long quiet river"},
        status=201,
    )
    mine = await world.api.ok(
        "POST", "/me/items", world.harmed, {"kind": "letter", "body": "Private"}, status=201
    )
    person = await party_signed_in(visitor, body["login"])
    reply = await person.get(f"/me/items/{mine['id']}")
    assert reply.status == 404 and "Private" not in reply.text


async def test_a_volunteer_cannot_open_a_case_they_are_not_assigned_to(
    world: World, visitor: NewVisitor
) -> None:
    val = await staff_signed_in(visitor, "val")
    reply = await val.get(f"/staff/cases/{world.case_id}")
    assert reply.status == 404
    assert "CR/20431/25" not in reply.text


async def test_after_logout_the_old_cookie_opens_nothing(sam: Visitor) -> None:
    reply = await sam.post("/staff/logout")
    assert reply.status == 303 and reply.location == "/staff/login"
    assert (await sam.get("/staff/")).status == 303


async def test_pages_carry_the_security_headers(sam: Visitor) -> None:
    response = await sam.client.get("/staff/")
    assert "script-src 'self'" in response.headers["Content-Security-Policy"]
    assert response.headers["Cache-Control"] == "no-store"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "no-referrer"


async def test_the_template_environment_autoescapes(client: TestClient) -> None:
    import aiohttp_jinja2

    env = aiohttp_jinja2.get_env(client.app)
    assert env.from_string("{{ x }}").render(x="<b>") == "&lt;b&gt;"


async def test_pages_have_no_inline_scripts_or_styles(
    world: World, sam: Visitor, harmed: Visitor
) -> None:
    written = await world.api.ok(
        "POST", "/me/items", world.responsible, {"kind": "letter", "body": "Hi"}, status=201
    )
    for person, path in [
        (sam, "/staff/"),
        (sam, f"/staff/cases/{world.case_id}"),
        (sam, f"/staff/items/{written['id']}"),
        (sam, f"/staff/cases/{world.case_id}/thread"),
        (sam, f"/staff/cases/{world.case_id}/conference"),
        (sam, "/staff/reasons"),
        (harmed, "/me/"),
        (harmed, "/me/write"),
        (harmed, "/me/preferences"),
        (harmed, "/me/correspondence"),
    ]:
        text = (await person.get(path)).text
        assert "<style" not in text and " style=" not in text
        assert all('src="/static/' in tag for tag in re.findall(r"<script[^>]*>", text))
        assert "http://" not in text and "https://" not in text
