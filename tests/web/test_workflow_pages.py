"""The practitioner's daily workflow through its pages: claims, saved reasons, the thread, the
conference, the specialists' report and scans of paper letters."""

from __future__ import annotations

import io
import re

import pytest
from PIL import Image

from relay.domain.attachments import MAX_BYTES
from tests.conftest import VAULTS, World, add_party
from tests.web.conftest import NewVisitor, Visitor, staff_signed_in


def png() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (40, 30), (200, 180, 150)).save(out, "PNG")
    return out.getvalue()


async def _letter(world: World, body: str, token: str | None = None) -> str:
    written = await world.api.ok(
        "POST", "/me/items", token or world.responsible, {"kind": "letter", "body": body}, 201
    )
    return str(written["id"])


async def _assign(world: World, *usernames: str) -> None:
    for name in usernames:
        await world.api.ok(
            "POST", f"/cases/{world.case_id}/assign", world.specialist, {"practitioner": name}
        )


async def _events(world: World, action: str) -> list[dict[str, object]]:
    audit = await world.api.ok("GET", f"/cases/{world.case_id}/audit", world.specialist)
    return [e for e in audit["events"] if e["action"] == action]


# -- claims -----------------------------------------------------------------------------------


async def test_a_claim_is_shown_on_the_item_and_the_queue_and_refuses_a_second_volunteer(
    world: World, visitor: NewVisitor
) -> None:
    await _assign(world, "val", "vic")
    item = await _letter(world, "I am sorry.")
    val = await staff_signed_in(visitor, "val")
    page = await val.get(f"/staff/items/{item}")
    assert "I&rsquo;m reading this" in page.text
    reply = await val.post(f"/staff/items/{item}/claim")
    assert reply.status == 303 and reply.location.endswith("done=claimed")
    assert "You are reading this" in (await val.follow(reply)).text

    vic = await staff_signed_in(visitor, "vic")
    queue = await vic.get("/staff/")
    assert "Val Volunteer" in queue.text and "until 10:20" in queue.text
    page = await vic.get(f"/staff/items/{item}")
    assert "Val Volunteer is reading this" in page.text and "until 10:20" in page.text
    assert "Take over" not in page.text
    refused = await vic.post(f"/staff/items/{item}/decision", {"version": "1", "action": "approve"})
    assert refused.status == 409
    assert "Another practitioner is working on this item" in refused.text
    assert "Nothing was changed" in refused.text and "text/html" in refused.headers["Content-Type"]
    assert (await vic.post(f"/staff/items/{item}/claim")).status == 409
    detail = await world.api.ok("GET", f"/items/{item}", world.specialist)
    assert detail["state"] == "pending" and detail["version"] == 1

    reply = await val.post(f"/staff/items/{item}/release")
    assert reply.status == 303 and reply.location.endswith("done=released")
    assert "no one" in (await vic.get("/staff/")).text
    assert (await vic.post(f"/staff/items/{item}/claim")).status == 303


async def test_a_specialist_takes_over_and_the_decision_is_audited_as_a_takeover(
    world: World, visitor: NewVisitor, sam: Visitor
) -> None:
    await _assign(world, "val")
    item = await _letter(world, "Thank you for listening.")
    val = await staff_signed_in(visitor, "val")
    await val.get(f"/staff/items/{item}")
    await val.post(f"/staff/items/{item}/claim")
    page = await sam.get(f"/staff/items/{item}")
    assert "Val Volunteer is reading this" in page.text and "Take over" in page.text
    assert "recorded as a takeover" in page.text
    reply = await sam.post(f"/staff/items/{item}/decision", {"version": "1", "action": "approve"})
    assert reply.status == 303
    (decision,) = await _events(world, "item.approve")
    assert decision["actor"] == "staff:sam"
    assert decision["details"]["takeover_from"]  # type: ignore[index]


# -- saved reasons ----------------------------------------------------------------------------


async def test_a_specialist_edits_the_saved_reasons_and_the_item_page_offers_them(
    world: World, sam: Visitor, visitor: NewVisitor
) -> None:
    page = await sam.get("/staff/reasons")
    assert page.status == 200 and 'name="text-0"' in page.text
    reply = await sam.post(
        "/staff/reasons",
        {
            "purpose-0": "return",
            "text-0": "Could you say a little more about how you feel now?",
            "purpose-1": "reject",
            "text-1": "This cannot be passed on, as it could cause harm.",
            "purpose-2": "return",
            "text-2": "   ",
        },
    )
    assert reply.status == 303
    reasons = await world.api.ok("GET", "/reasons", world.specialist)
    assert [(r["purpose"], r["text"][:10]) for r in reasons["reasons"]] == [
        ("reject", "This canno"),
        ("return", "Could you "),
    ]
    item = await _letter(world, "A first try.")
    page = await sam.get(f"/staff/items/{item}")
    assert '<option value="Could you say a little more about how you feel now?">' in page.text
    assert 'id="note"' in page.text  # free text stays possible
    reply = await sam.post(
        f"/staff/items/{item}/decision",
        {
            "version": "1",
            "action": "return",
            "saved_note": "Could you say a little more about how you feel now?",
        },
    )
    assert reply.status == 303
    mine = await world.api.ok("GET", "/me/items", world.responsible)
    assert mine["sent"][0]["note"] == "Could you say a little more about how you feel now?"

    bad = await sam.post("/staff/reasons", {"purpose-0": "shout", "text-0": "Kept text"})
    assert bad.status == 422 and "Kept text" in bad.text
    val = await staff_signed_in(visitor, "val")
    read_only = await val.get("/staff/reasons")
    assert read_only.status == 200 and "This cannot be passed on" in read_only.text
    assert 'name="text-0"' not in read_only.text
    refused = await val.post("/staff/reasons", {"purpose-0": "return", "text-0": "Mine"})
    assert refused.status == 403
    assert len((await world.api.ok("GET", "/reasons", world.specialist))["reasons"]) == 2


# -- the thread -------------------------------------------------------------------------------


async def test_the_thread_shows_both_directions_in_order_with_notes_and_decisions(
    world: World, sam: Visitor
) -> None:
    api = world.api
    first = await _letter(world, "Sorry. Ring me on 07700 900123.")
    detail = await api.ok("GET", f"/items/{first}", world.specialist)
    spans = [{"start": f["start"], "end": f["end"]} for f in detail["findings"]]
    await api.ok("POST", f"/items/{first}/claim", world.specialist)
    await api.ok(
        "POST",
        f"/items/{first}/decision",
        world.specialist,
        {"action": "redact", "version": 1, "redactions": spans, "content_note": "An apology"},
    )
    second = await _letter(world, "Thank you for your letter.", world.harmed)
    await api.ok(
        "POST",
        f"/items/{second}/decision",
        world.specialist,
        {"action": "return", "version": 1, "note": "Would you add how you are?"},
    )
    case_page = await sam.get(f"/staff/cases/{world.case_id}")
    assert f"/staff/cases/{world.case_id}/thread" in case_page.text
    page = await sam.get(f"/staff/cases/{world.case_id}/thread")
    assert page.status == 200
    text = page.text
    assert text.index(first) < text.index(second)
    assert "side-responsible" in text and "side-harmed" in text
    assert "Sorry. Ring me on 07700 900123." in text  # the original, for practitioners
    assert "Sorry. Ring me on [removed]." in text  # and the delivered version
    assert "An apology" in text and "Would you add how you are?" in text
    assert "claimed" in text and "approved with redactions" in text and "returned" in text
    assert "read by a practitioner" not in text  # reads are audited, not part of the thread
    assert await _events(world, "thread.read")


# -- the conference ---------------------------------------------------------------------------


async def test_the_conference_page_records_consent_preparation_and_the_meeting(
    world: World, sam: Visitor
) -> None:
    supporter = await add_party(
        world.api, world.specialist, world.case_id, "supporter", "Pat", supports=world.harmed_id
    )
    url = f"/staff/cases/{world.case_id}/conference"
    page = await sam.get(url)
    assert page.status == 200 and "not asked yet" in page.text
    meeting = {
        "date": "2026-04-14",
        "time": "10:30",
        "venue": "Room 2, Riverside Community Centre",
        "notes": "Tea and water in the room.",
    }
    fields = [*meeting.items(), ("attendees", world.harmed_id), ("attendees", supporter["id"])]
    early = await sam.post(f"{url}/meeting", [*fields, ("practitioners", "sam")])
    assert early.status == 409 and "consent to meet first" in early.text
    assert 'value="Room 2, Riverside Community Centre"' in early.text

    for pid in (world.harmed_id, world.responsible_id):
        reply = await sam.post(f"{url}/consent/{pid}", {"given": "yes"})
        assert reply.status == 303 and reply.location.endswith("done=meet_consent")
    reply = await sam.post(
        f"{url}/preparation/{world.harmed_id}",
        {"step-first_meeting": "2026-03-05", "step-support_plan": "2026-03-09"},
    )
    assert reply.status == 303
    bad = await sam.post(f"{url}/preparation/{world.harmed_id}", {"step-final_check": "soon"})
    assert bad.status == 422 and "not a date" in bad.text

    reply = await sam.post(f"{url}/meeting", [*fields, ("practitioners", "sam")])
    assert reply.status == 303 and reply.location.endswith("done=meeting")
    page = await sam.follow(reply)
    assert "Tuesday 14 April 2026 at 10:30" in page.text
    assert "Alex, Pat" in page.text and 'value="2026-03-09"' in page.text
    assert "2 of 5 steps done" in page.text
    view = await world.api.ok("GET", f"/cases/{world.case_id}/conference", world.specialist)
    assert view["meeting"]["attendees"] == [world.harmed_id, supporter["id"]]
    assert view["meeting"]["practitioners"] == ["sam"]


@pytest.mark.parametrize(
    "venue", [VAULTS["harmed"]["address"], "Meet at 14 mill road", VAULTS["responsible"]["phone"]]
)
async def test_the_meeting_form_refuses_a_participants_address_and_keeps_the_input(
    world: World, sam: Visitor, venue: str
) -> None:
    url = f"/staff/cases/{world.case_id}/conference"
    for pid in (world.harmed_id, world.responsible_id):
        await world.api.ok(
            "POST",
            f"/cases/{world.case_id}/participants/{pid}/meet-consent",
            world.specialist,
            {"given": True},
        )
    await sam.get(url)
    reply = await sam.post(
        f"{url}/meeting",
        [
            ("date", "2026-04-14"),
            ("time", "10:30"),
            ("venue", venue),
            ("attendees", world.harmed_id),
            ("attendees", world.responsible_id),
        ],
    )
    assert reply.status == 422
    assert "never at a participant&#39;s address" in reply.text
    assert 'value="2026-04-14"' in reply.text and 'value="10:30"' in reply.text
    assert re.search(rf'value="{world.responsible_id}" checked', reply.text)
    view = await world.api.ok("GET", f"/cases/{world.case_id}/conference", world.specialist)
    assert view["meeting"] is None


# -- the specialists' report ------------------------------------------------------------------


async def test_specialists_see_the_outcomes_chart_and_the_median_delivery_time(
    world: World, sam: Visitor, visitor: NewVisitor
) -> None:
    item = await _letter(world, "Thank you.")
    await world.api.ok(
        "POST", f"/items/{item}/decision", world.specialist, {"action": "approve", "version": 1}
    )
    await world.api.ok(
        "POST",
        f"/cases/{world.case_id}/close",
        world.specialist,
        {"outcomes": ["questions_answered", "apology_given"]},
    )
    page = await sam.get("/staff/")
    chart = page.text.split('<ul class="bars">')[1].split("</ul>")[0]
    assert re.search(r'Questions answered</span>\s*<svg[^>]*aria-hidden="true"', chart)
    assert chart.count('width="100%" height="22" rx="3"></rect><rect class="bar') == 2
    assert '<span class="bar-value">0</span>' in chart
    assert "<td>Apology given</td><td>1</td>" in page.text
    assert "Median time from writing to delivery" in page.text
    assert "of 1 delivered item)" in page.text
    assert " style=" not in page.text and "<script" not in page.text
    val = await staff_signed_in(visitor, "val")
    assert 'class="bars"' not in (await val.get("/staff/")).text


# -- scans of paper letters -------------------------------------------------------------------


async def test_a_paper_letter_is_entered_with_its_scan_listed_and_read_with_an_audit(
    world: World, sam: Visitor
) -> None:
    url = f"/staff/cases/{world.case_id}/letters"
    page = await sam.get(f"{url}/new")
    assert 'enctype="multipart/form-data"' in page.text and 'type="file"' in page.text
    form = {"on_behalf_of": world.responsible_id, "kind": "letter", "body": "Handwritten."}
    reply = await sam.upload(url, form, png())
    assert reply.status == 303, reply.text[:500]
    item = reply.location.rsplit("/", 1)[1]
    page = await sam.follow(reply)
    assert "attachment-1.png" in page.text and "image/png" in page.text
    assert re.search(r"\d+ bytes|\d+ KB", page.text)
    assert f'href="/staff/items/{item}/attachments/1"' in page.text
    response = await sam.client.get(f"/staff/items/{item}/attachments/1")
    assert response.status == 200 and response.headers["Content-Type"] == "image/png"
    assert response.headers["Content-Disposition"] == 'attachment; filename="attachment-1.png"'
    assert (await response.read()).startswith(b"\x89PNG")
    (read,) = await _events(world, "attachment.read")
    assert read["actor"] == "staff:sam" and read["subject"] == item

    another = await sam.upload(f"/staff/items/{item}/attachments", {}, png())
    assert another.status == 303
    removed = await sam.post(f"/staff/items/{item}/attachments/2/remove")
    assert removed.status == 303
    detail = await world.api.ok("GET", f"/items/{item}", world.specialist)
    assert [f["n"] for f in detail["attachments"]] == [1]


async def test_a_refused_scan_keeps_the_letter_or_the_typed_text(
    world: World, sam: Visitor
) -> None:
    url = f"/staff/cases/{world.case_id}/letters"
    await sam.get(f"{url}/new")
    form = {"on_behalf_of": world.responsible_id, "kind": "letter", "body": "Typed with care."}
    too_big = await sam.upload(url, form, b"\xff\xd8\xff" + bytes(MAX_BYTES))
    assert too_big.status == 413 and "larger than 10 MB" in too_big.text
    assert "Typed with care." in too_big.text
    queue = await world.api.ok("GET", "/queue", world.specialist)
    assert queue["items"] == []  # nothing was written
    not_a_scan = await sam.upload(url, form, b"just some text, not a picture")
    assert not_a_scan.status == 422 and "not a JPEG, PNG or PDF" in not_a_scan.text
    assert "The letter is in the queue" in not_a_scan.text
    queue = await world.api.ok("GET", "/queue", world.specialist)
    assert len(queue["items"]) == 1 and queue["items"][0]["attachments"] == []


# -- every new form needs its CSRF token ------------------------------------------------------


NEW_STAFF_FORMS = [
    "/staff/items/{item}/claim",
    "/staff/items/{item}/release",
    "/staff/items/{item}/attachments",
    "/staff/items/{item}/attachments/1/remove",
    "/staff/reasons",
    "/staff/cases/{case}/conference/meeting",
    "/staff/cases/{case}/conference/consent/{pid}",
    "/staff/cases/{case}/conference/preparation/{pid}",
]


@pytest.mark.parametrize("path", NEW_STAFF_FORMS)
@pytest.mark.parametrize("multipart", [False, True])
async def test_every_new_staff_form_needs_the_csrf_token(
    world: World, sam: Visitor, path: str, multipart: bool
) -> None:
    item = await _letter(world, "Hello.")
    url = path.format(item=item, case=world.case_id, pid=world.harmed_id)
    data = {
        "given": "yes",
        "purpose-0": "return",
        "text-0": "Forged",
        "step-final_check": "2026-03-03",
    }
    if multipart:
        reply = await sam.upload(url, data, png(), csrf=False)
    else:
        reply = await sam.post(url, data, csrf=False)
    assert reply.status == 403 and "This form has expired" in reply.text
    detail = await world.api.ok("GET", f"/items/{item}", world.specialist)
    assert detail["claimed_by"] is None and detail["attachments"] == []
    assert (await world.api.ok("GET", "/reasons", world.specialist))["reasons"] == []
    view = await world.api.ok("GET", f"/cases/{world.case_id}/conference", world.specialist)
    assert view["participants"][0]["meet_consent"] is None
    assert all(step["done_on"] is None for step in view["participants"][0]["preparation"])
