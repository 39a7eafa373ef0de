"""The participant portal: plain pages that never show the other side's details."""

from __future__ import annotations

import re

import pytest

from tests.conftest import PASSPHRASE, World, add_party, all_vault_values
from tests.web.conftest import NewVisitor, Reply, Visitor, party_signed_in

HOSTILE = '<script>window.pwned=1</script><img src=x onerror="window.pwned=2">'


async def _delivered(world: World, body: str, author: str | None = None) -> str:
    """A letter from the responsible party, approved (redacting any findings) and delivered."""
    api = world.api
    written = await api.ok(
        "POST", "/me/items", author or world.responsible, {"kind": "letter", "body": body}, 201
    )
    detail = await api.ok("GET", f"/items/{written['id']}", world.specialist)
    spans = [{"start": f["start"], "end": f["end"]} for f in detail["findings"]]
    merged: list[dict[str, int]] = []
    for span in sorted(spans, key=lambda s: (s["start"], s["end"])):
        if merged and span["start"] <= merged[-1]["end"]:
            merged[-1]["end"] = max(merged[-1]["end"], span["end"])
        else:
            merged.append(dict(span))
    decided = await api.ok(
        "POST",
        f"/items/{written['id']}/decision",
        world.specialist,
        {"action": "redact" if merged else "approve", "version": 1, "redactions": merged},
    )
    assert decided["state"] == "delivered"
    return str(written["id"])


async def test_activation_shows_the_login_once_and_signs_you_in(
    world: World, visitor: NewVisitor
) -> None:
    supporter = await add_party(
        world.api, world.specialist, world.case_id, "supporter", "Pat", supports=world.harmed_id
    )
    person = await visitor()
    page = await person.get("/me/activate")
    assert 'name="code"' in page.text and 'name="passphrase"' in page.text
    short = await person.post("/me/activate", {"code": supporter["invite_code"], "passphrase": "x"})
    assert short.status == 422
    reply = await person.post(
        "/me/activate", {"code": supporter["invite_code"].lower(), "passphrase": PASSPHRASE}
    )
    assert reply.status == 200
    login = re.search(r'id="login-handle"[^>]*>(rj-\w+)<', reply.text)
    assert login
    home = await person.get("/me/")
    assert home.status == 200 and "Hello, Pat" in home.text
    someone = await visitor()
    await someone.get("/me/activate")
    reused = await someone.post(
        "/me/activate", {"code": supporter["invite_code"], "passphrase": PASSPHRASE}
    )
    assert reused.status == 401 and "already been used" in reused.text
    assert login.group(1) not in (await person.get("/me/")).text


async def test_signing_in_answers_303_to_the_portal(world: World, visitor: NewVisitor) -> None:
    person = await visitor()
    await person.get("/me/login")
    wrong = await person.post("/me/login", {"login": world.logins["harmed"], "passphrase": "no"})
    assert wrong.status == 401 and "not right" in wrong.text
    reply = await person.post(
        "/me/login", {"login": world.logins["harmed"], "passphrase": PASSPHRASE}
    )
    assert reply.status == 303 and reply.location == "/me/"
    assert (await person.get("/me/login")).location == "/me/"
    assert (await (await visitor()).get("/me/")).location == "/me/login"


async def test_the_portal_explains_what_happens_to_a_letter(harmed: Visitor) -> None:
    page = await harmed.get("/me/")
    assert "Your practitioner reads it first" in page.text
    assert "You can stop at any time" in page.text
    assert "Sam R" in page.text  # the other side's alias, and nothing else about them


async def test_writing_a_letter_shows_it_waiting_for_the_practitioner(
    world: World, responsible: Visitor
) -> None:
    page = await responsible.get("/me/write")
    assert '<label for="body">' in page.text
    reply = await responsible.post("/me/write", {"kind": "letter", "body": "I am sorry.\r\n"})
    assert reply.status == 303
    home = await responsible.follow(reply)
    assert "Your letter is with your practitioner" in home.text
    assert "Waiting for your practitioner" in home.text
    empty = await responsible.post("/me/write", {"kind": "letter", "body": "   "})
    assert empty.status == 422 and "empty" in empty.text


async def test_the_recipient_chooses_to_open_a_delivered_letter(
    world: World, harmed: Visitor
) -> None:
    item = await _delivered(world, "I think about that night often.")
    page = await harmed.get("/me/")
    assert f"/me/items/{item}" in page.text and "New, not opened yet" in page.text
    page = await harmed.get(f"/me/items/{item}")
    assert "I think about that night" not in page.text  # hidden until opened
    assert "/open" in page.text and "/decline" in page.text
    reply = await harmed.post(f"/me/items/{item}/open")
    assert reply.status == 303
    page = await harmed.follow(reply)
    assert "I think about that night often." in page.text


async def test_declining_and_asking_the_practitioner(world: World, harmed: Visitor) -> None:
    item = await _delivered(world, "Please read this.")
    reply = await harmed.post(f"/me/items/{item}/ask-practitioner")
    assert reply.status == 303
    assert "will be in touch" in (await harmed.follow(reply)).text
    unconfirmed = await harmed.post(f"/me/items/{item}/decline")
    assert unconfirmed.status == 200 and "never be shown to you" in unconfirmed.text
    received = await world.api.ok("GET", "/me/items", world.harmed)
    assert received["received"][0]["state"] == "waiting"  # nothing changes without confirming
    reply = await harmed.post(f"/me/items/{item}/decline", {"confirm": "yes"})
    page = await harmed.follow(reply)
    assert "You chose not to read this" in page.text and "Please read this." not in page.text
    sent = await world.api.ok("GET", "/me/items", world.responsible)
    assert sent["sent"][0]["state"] == "not_delivered"


async def test_a_redacted_letter_shows_the_author_what_was_delivered(
    world: World, responsible: Visitor
) -> None:
    item = await _delivered(world, "Ring me on 07700 900123 please.")
    page = await responsible.get(f"/me/items/{item}")
    assert "Ring me on 07700 900123 please." in page.text
    assert "removed some words" in page.text and "[removed]" in page.text


@pytest.mark.parametrize("reader", ["staff", "recipient", "author"])
async def test_script_in_a_letter_is_shown_as_text(
    world: World, visitor: NewVisitor, reader: str
) -> None:
    from tests.web.conftest import staff_signed_in

    item = await _delivered(world, HOSTILE)
    if reader == "staff":
        page = await (await staff_signed_in(visitor)).get(f"/staff/items/{item}")
    elif reader == "recipient":
        person = await party_signed_in(visitor, world.logins["harmed"])
        page = await person.follow(await person.post(f"/me/items/{item}/open"))
    else:
        person = await party_signed_in(visitor, world.logins["responsible"])
        page = await person.get(f"/me/items/{item}")
    assert "<script>window" not in page.text and "<img src=x" not in page.text
    assert "&lt;script&gt;window.pwned=1&lt;/script&gt;" in page.text


async def test_withdrawal_explains_itself_and_needs_a_confirmation(
    world: World, harmed: Visitor, responsible: Visitor
) -> None:
    page = await harmed.get("/me/withdraw")
    assert "not why, and not who stopped it" in page.text
    unconfirmed = await harmed.post("/me/withdraw", {})
    assert unconfirmed.status == 422
    case = await world.api.ok("GET", f"/cases/{world.case_id}", world.specialist)
    assert case["status"] == "active"
    done = await harmed.post("/me/withdraw", {"confirm": "yes"})
    assert done.status == 200 and "You have stopped the process" in done.text
    assert "You chose to stop" in (await harmed.get("/me/")).text
    other = (await responsible.get("/me/")).text
    assert "This process has ended" in other and "withdr" not in other.lower()
    assert "/me/write" not in other
    refused = await responsible.post("/me/write", {"kind": "letter", "body": "One more"})
    assert refused.status == 409 and "ended" in refused.text


async def test_a_supporter_sees_only_what_the_principal_allowed(
    world: World, visitor: NewVisitor
) -> None:
    api = world.api
    added = await add_party(
        api, world.specialist, world.case_id, "supporter", "Pat", supports=world.harmed_id
    )
    body = await api.ok(
        "POST",
        "/party/activate",
        json={"code": added["invite_code"], "passphrase": PASSPHRASE},
        status=201,
    )
    item = await _delivered(world, "For Alex only.")
    pat = await party_signed_in(visitor, body["login"])
    home = await pat.get("/me/")
    assert "You are here to support Alex" in home.text
    assert "has not asked for you to see" in home.text and item not in home.text
    assert (await pat.get(f"/me/items/{item}")).status == 404
    await api.ok(
        "POST",
        f"/cases/{world.case_id}/participants/{world.harmed_id}/supporter-access",
        world.specialist,
        {"read": True},
    )
    page = await pat.get(f"/me/items/{item}")
    assert page.status == 200 and "/decline" not in page.text
    assert "/me/withdraw" not in (await pat.get("/me/")).text
    refused = await pat.post("/me/withdraw", {"confirm": "yes"})
    assert refused.status == 403
    assert "/me/preferences" not in home.text


async def test_preferences_are_saved(world: World, harmed: Visitor) -> None:
    page = await harmed.get("/me/preferences")
    assert page.status == 200
    reply = await harmed.post(
        "/me/preferences",
        [
            ("read_receipts", "yes"),
            ("when", "window"),
            ("days", "1"),
            ("days", "2"),
            ("start", "10:00"),
            ("end", "16:00"),
        ],
    )
    assert reply.status == 303
    prefs = await world.api.ok("GET", "/me/preferences", world.harmed)
    assert prefs == {
        "read_receipts": True,
        "delivery_window": {"days": [1, 2], "start": "10:00", "end": "16:00"},
    }
    bad = await harmed.post("/me/preferences", {"when": "window", "start": "9", "end": "x"})
    assert bad.status == 422


async def test_no_portal_page_ever_shows_a_vault_value(world: World, visitor: NewVisitor) -> None:
    """Walk every /me page of both principals and a supporter; scan each body."""
    api = world.api
    added = await add_party(
        api, world.specialist, world.case_id, "supporter", "Pat", supports=world.harmed_id
    )
    await api.ok(
        "POST",
        f"/cases/{world.case_id}/participants/{world.harmed_id}/supporter-access",
        world.specialist,
        {"read": True},
    )
    pat_login = (
        await api.ok(
            "POST",
            "/party/activate",
            json={"code": added["invite_code"], "passphrase": PASSPHRASE},
            status=201,
        )
    )["login"]
    to_harmed = await _delivered(world, "I am sorry. Ring 07700 900123 or write to me.")
    to_responsible = await _delivered(world, "Thank you for writing.", world.harmed)
    returned = await api.ok(
        "POST", "/me/items", world.responsible, {"kind": "message", "body": "A draft"}, 201
    )
    await api.ok(
        "POST",
        f"/items/{returned['id']}/decision",
        world.specialist,
        {"action": "return", "version": 1, "note": "Please add more."},
    )
    pages: list[Reply] = []
    for login in (world.logins["harmed"], world.logins["responsible"], pat_login):
        person = await party_signed_in(visitor, login)
        for path in ("/me/", "/me/write", "/me/preferences", "/me/withdraw"):
            await person.get(path)
        for item in (to_harmed, to_responsible, returned["id"]):
            await person.get(f"/me/items/{item}")
            await person.get(f"/me/items/{item}/decline")
            await person.post(f"/me/items/{item}/open")
            await person.get(f"/me/items/{item}")
            await person.post(f"/me/items/{item}/ask-practitioner")
        await person.get("/me/correspondence")
        pages += person.pages
    harmed = await party_signed_in(visitor, world.logins["harmed"])
    await harmed.post("/me/withdraw", {"confirm": "yes"})
    await harmed.get("/me/")
    pages += harmed.pages
    assert len(pages) > 40
    for page in pages:
        for value in all_vault_values():
            assert value not in page.text, (page.url, value)


async def test_a_staff_session_cannot_use_the_portal(world: World, visitor: NewVisitor) -> None:
    forged = await visitor()
    forged.client.session.cookie_jar.update_cookies({"relay_me": world.specialist})
    reply = await forged.get("/me/")
    assert reply.status == 403
