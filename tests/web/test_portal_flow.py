"""Victim-led delivery in the portal: the waiting letter and its choices, declining for good,
read receipts, the printable record and files sent with a letter."""

from __future__ import annotations

import re

import pytest

from relay.domain.attachments import MAX_BYTES
from tests.conftest import PASSPHRASE, World, add_party, all_vault_values
from tests.web.conftest import NewVisitor, Reply, Visitor, party_signed_in
from tests.web.test_workflow_pages import png

_TOKEN = re.compile(r'name="csrf_token" value="[^"]*"')


async def _delivered(world: World, body: str, content_note: str | None = None) -> str:
    """A letter from Sam R to Alex, approved (any findings redacted) and delivered."""
    api = world.api
    written = await api.ok(
        "POST", "/me/items", world.responsible, {"kind": "letter", "body": body}, 201
    )
    detail = await api.ok("GET", f"/items/{written['id']}", world.specialist)
    spans = [{"start": f["start"], "end": f["end"]} for f in detail["findings"]]
    decision: dict[str, object] = {"action": "redact" if spans else "approve", "version": 1}
    if spans:
        decision["redactions"] = spans
    if content_note:
        decision["content_note"] = content_note
    decided = await api.ok("POST", f"/items/{written['id']}/decision", world.specialist, decision)
    assert decided["state"] == "delivered"
    return str(written["id"])


def _without_tokens(page: Reply) -> str:
    return _TOKEN.sub("", page.text)


async def test_a_waiting_letter_shows_its_note_and_four_choices(
    world: World, harmed: Visitor
) -> None:
    item = await _delivered(world, "I think about that night.", "This letter is an apology.")
    page = await harmed.get(f"/me/items/{item}")
    assert "A letter from Sam R is waiting for you" in page.text
    assert "This letter is an apology." in page.text
    assert "I think about that night." not in page.text
    assert f'action="/me/items/{item}/open"' in page.text and "Open it now" in page.text
    assert "Keep it for later" in page.text and "Nothing changes" in page.text
    assert "Ask my practitioner to go through it with me" in page.text
    assert f'href="/me/items/{item}/decline"' in page.text
    reply = await harmed.post(f"/me/items/{item}/ask-practitioner")
    page = await harmed.follow(reply)
    assert "knows you would like to go through it together" in page.text
    assert "Open it now" in page.text  # asking changes nothing else


async def test_declining_is_confirmed_first_and_the_letter_is_never_shown_again(
    world: World, harmed: Visitor, responsible: Visitor
) -> None:
    item = await _delivered(world, "Words Alex chose not to read.", "About the burglary.")
    confirm = await harmed.get(f"/me/items/{item}/decline")
    assert confirm.status == 200
    assert "never be shown to you" in confirm.text and "cannot be undone" in confirm.text
    assert "not delivered at this time" in confirm.text
    assert 'name="confirm" value="yes"' in confirm.text
    assert "Words Alex chose not to read." not in confirm.text
    reply = await harmed.post(f"/me/items/{item}/decline", {"confirm": "yes"})
    assert reply.status == 303
    pages = [
        await harmed.follow(reply),
        await harmed.get("/me/"),
        await harmed.get("/me/correspondence"),
        await harmed.get(f"/me/items/{item}/decline"),  # back to the item: nothing to confirm
    ]
    assert pages[-1].status == 303
    for page in pages:
        assert "Words Alex chose not to read." not in page.text
    assert (await harmed.post(f"/me/items/{item}/open")).status == 409
    api_view = await world.api.ok("GET", "/me/items", world.harmed)
    assert "text" not in api_view["received"][0]

    home = await responsible.get("/me/")
    assert "Not delivered at this time" in home.text and "declin" not in home.text.lower()
    page = await responsible.get(f"/me/items/{item}")
    assert "It has not been delivered at this time." in page.text
    assert "declin" not in page.text.lower()


async def test_with_receipts_off_the_writers_pages_do_not_change_when_the_letter_is_opened(
    world: World, harmed: Visitor, responsible: Visitor
) -> None:
    item = await _delivered(world, "Thank you for reading this.")
    before = [await responsible.get("/me/"), await responsible.get(f"/me/items/{item}")]
    await harmed.post(f"/me/items/{item}/open")
    after = [await responsible.get("/me/"), await responsible.get(f"/me/items/{item}")]
    assert [_without_tokens(page) for page in before] == [_without_tokens(p) for p in after]
    assert "opened" not in _without_tokens(after[1]).lower()

    await harmed.get("/me/preferences")
    await harmed.post("/me/preferences", {"read_receipts": "yes", "when": "any"})
    page = await responsible.get(f"/me/items/{item}")
    assert "Alex has opened it" in page.text


async def test_the_preferences_page_explains_read_receipts_plainly(
    world: World, harmed: Visitor
) -> None:
    page = await harmed.get("/me/preferences")
    assert "If you turn this on, Sam R will see when you have opened a letter" in page.text
    assert re.search(
        r'name="read_receipts" value="yes" aria-describedby="receipts-hint" >', page.text
    )
    assert 'name="when" value="any" aria-describedby="window-hint" checked' in page.text


async def test_correspondence_holds_what_was_delivered_and_what_was_opened_only(
    world: World, harmed: Visitor, responsible: Visitor
) -> None:
    opened = await _delivered(world, "Ring me on 07700 900123, please.")
    unopened = await _delivered(world, "A second letter, not opened yet.")
    await harmed.post(f"/me/items/{opened}/open")
    pending = await world.api.ok(
        "POST", "/me/items", world.responsible, {"kind": "letter", "body": "Still a draft."}, 201
    )
    home = await harmed.get("/me/")
    assert 'href="/me/correspondence"' in home.text and "Download my correspondence" in home.text
    mine = await harmed.get("/me/correspondence")
    assert mine.status == 200 and '<script src="/static/print.js"' in mine.text
    assert "Ring me on [removed], please." in mine.text and "from Sam R" in mine.text
    assert "not opened yet." not in mine.text
    theirs = await responsible.get("/me/correspondence")
    assert "Ring me on [removed], please." in theirs.text  # as delivered, not as written
    assert "07700 900123" not in theirs.text
    assert "A second letter, not opened yet." in theirs.text  # it was delivered
    assert "Still a draft." not in theirs.text and pending["id"] not in theirs.text
    assert unopened not in mine.text
    css = await harmed.client.get("/static/relay.css")
    assert "@media print" in await css.text()


async def test_the_author_attaches_a_photo_and_the_recipient_sees_it_only_once_opened(
    world: World, harmed: Visitor, responsible: Visitor
) -> None:
    page = await responsible.get("/me/write")
    assert 'enctype="multipart/form-data"' in page.text
    reply = await responsible.upload(
        "/me/write", {"kind": "letter", "body": "With a photo."}, png()
    )
    assert reply.status == 303 and reply.location == "/me/?done=sent"
    sent = await world.api.ok("GET", "/me/items", world.responsible)
    item = sent["sent"][0]["id"]
    page = await responsible.get(f"/me/items/{item}")
    assert "attachment-1.png" in page.text and "IMG_2041" not in page.text
    await world.api.ok(
        "POST", f"/items/{item}/decision", world.specialist, {"action": "approve", "version": 2}
    )

    waiting = await harmed.get(f"/me/items/{item}")
    assert "attachment-1" not in waiting.text
    early = await harmed.client.get(f"/me/items/{item}/attachments/1")
    assert early.status == 409 and "Open the letter first" in await early.text()
    opened = await harmed.follow(await harmed.post(f"/me/items/{item}/open"))
    assert "With a photo." in opened.text and "attachment-1.png" in opened.text
    response = await harmed.client.get(f"/me/items/{item}/attachments/1")
    assert response.status == 200
    assert response.headers["Content-Disposition"] == 'attachment; filename="attachment-1.png"'
    assert (await response.read()).startswith(b"\x89PNG")


async def test_files_on_a_returned_letter_are_changed_with_the_revision(
    world: World, responsible: Visitor
) -> None:
    written = await world.api.ok(
        "POST", "/me/items", world.responsible, {"kind": "letter", "body": "First."}, 201
    )
    item = written["id"]
    page = await responsible.get(f"/me/items/{item}")
    assert f'action="/me/items/{item}/attachments"' in page.text  # pending: files may change
    assert (await responsible.upload(f"/me/items/{item}/attachments", {}, png())).status == 303
    nothing = await responsible.upload(f"/me/items/{item}/attachments", {}, None)
    assert nothing.status == 422 and "Choose the scan or photo" in nothing.text
    await world.api.ok(
        "POST",
        f"/items/{item}/decision",
        world.specialist,
        {"action": "return", "version": 2, "note": "Please leave out the photo."},
    )
    page = await responsible.get(f"/me/items/{item}")
    assert f'action="/me/items/{item}/attachments/1/remove"' in page.text
    assert (await responsible.post(f"/me/items/{item}/attachments/1/remove")).status == 303
    reply = await responsible.upload(f"/me/items/{item}/revise", {"body": "Second."}, None)
    assert reply.status == 303
    detail = await world.api.ok("GET", f"/items/{item}", world.specialist)
    assert detail["text"] == "Second." and detail["attachments"] == []
    page = await responsible.get(f"/me/items/{item}")
    assert f'action="/me/items/{item}/attachments/1/remove"' not in page.text


async def test_a_file_that_is_too_large_keeps_what_was_written(
    world: World, responsible: Visitor
) -> None:
    await responsible.get("/me/write")
    reply = await responsible.upload(
        "/me/write", {"kind": "letter", "body": "Words to keep."}, bytes(MAX_BYTES + 1)
    )
    assert reply.status == 413 and "larger than 10 MB" in reply.text
    assert "Words to keep." in reply.text
    assert (await world.api.ok("GET", "/me/items", world.responsible))["sent"] == []


async def test_a_supporter_and_another_case_cannot_use_these_pages(
    world: World, visitor: NewVisitor, harmed: Visitor
) -> None:
    item = await _delivered(world, "For Alex.")
    pat = await add_party(
        world.api, world.specialist, world.case_id, "supporter", "Pat", supports=world.harmed_id
    )
    body = await world.api.ok(
        "POST",
        "/party/activate",
        json={"code": pat["invite_code"], "passphrase": PASSPHRASE},
        status=201,
    )
    supporter = await party_signed_in(visitor, body["login"])
    assert (await supporter.get(f"/me/items/{item}/decline")).status in (403, 404)
    refused = await supporter.post(f"/me/items/{item}/decline", {"confirm": "yes"})
    assert refused.status in (403, 404)
    received = await world.api.ok("GET", "/me/items", world.harmed)
    assert received["received"][0]["state"] == "waiting"
    record = await supporter.get("/me/correspondence")
    assert record.status == 200 and "For Alex." not in record.text
    for page in [record, await harmed.get("/me/correspondence")]:
        for value in all_vault_values():
            assert value not in page.text


NEW_PORTAL_FORMS = [
    "/me/items/{mine}/attachments",
    "/me/items/{mine}/attachments/1/remove",
    "/me/items/{theirs}/decline",
]


@pytest.mark.parametrize("path", NEW_PORTAL_FORMS)
@pytest.mark.parametrize("multipart", [False, True])
async def test_every_new_portal_form_needs_the_csrf_token(
    world: World, harmed: Visitor, path: str, multipart: bool
) -> None:
    theirs = await _delivered(world, "To be kept.")
    mine = await world.api.ok(
        "POST", "/me/items", world.harmed, {"kind": "letter", "body": "Mine."}, 201
    )
    url = path.format(mine=mine["id"], theirs=theirs)
    if multipart:
        reply = await harmed.upload(url, {"confirm": "yes"}, png(), csrf=False)
    else:
        reply = await harmed.post(url, {"confirm": "yes"}, csrf=False)
    assert reply.status == 403 and "This form has expired" in reply.text
    items = await world.api.ok("GET", "/me/items", world.harmed)
    assert items["received"][0]["state"] == "waiting"
    assert items["sent"][0]["attachments"] == []


async def test_a_malformed_upload_is_answered_calmly(harmed: Visitor) -> None:
    await harmed.get("/me/write")
    response = await harmed.client.post(
        "/me/write",
        data=b"--x\r\nnot a part at all",
        headers={"Content-Type": "multipart/form-data; boundary=x"},
        allow_redirects=False,
    )
    assert response.status in (400, 403)
    assert "text/html" in response.headers["Content-Type"]
    other = await harmed.client.post(
        "/me/preferences",
        data=b"--x\r\nnot a part at all",
        headers={"Content-Type": "multipart/form-data; boundary=x"},
        allow_redirects=False,
    )
    assert other.status in (400, 403) and "text/html" in other.headers["Content-Type"]
