"""The practitioner workspace, driven through its forms."""

from __future__ import annotations

import re
from datetime import timedelta

from relay.clock import FrozenClock
from tests.conftest import PASSWORD, VAULTS, World, add_party, all_vault_values
from tests.delivery.conftest import give_up_notifying, notifications
from tests.web.conftest import NewVisitor, Visitor, staff_signed_in


def _ids(prefix: str, text: str) -> list[str]:
    return list(dict.fromkeys(re.findall(rf"/{prefix}/({prefix[:3]}_\w+)", text)))


async def _letter(world: World, body: str, token: str | None = None) -> str:
    written = await world.api.ok(
        "POST", "/me/items", token or world.responsible, {"kind": "letter", "body": body}, 201
    )
    return str(written["id"])


async def test_signing_in_answers_303_to_the_dashboard(visitor: NewVisitor) -> None:
    person = await visitor()
    page = await person.get("/staff/login")
    assert page.status == 200
    assert 'name="username"' in page.text and 'name="password"' in page.text
    reply = await person.post("/staff/login", {"username": "sam", "password": PASSWORD})
    assert reply.status == 303 and reply.location == "/staff/"
    assert (await person.get("/staff/login")).location == "/staff/"


async def test_a_wrong_password_is_answered_calmly_with_401(visitor: NewVisitor) -> None:
    person = await visitor()
    await person.get("/staff/login")
    reply = await person.post("/staff/login", {"username": "sam", "password": "nope"})
    assert reply.status == 401
    assert "not right" in reply.text and 'value="sam"' in reply.text


async def test_repeated_failures_lock_the_account_with_429(visitor: NewVisitor) -> None:
    person = await visitor()
    await person.get("/staff/login")
    statuses = []
    for _ in range(9):
        reply = await person.post("/staff/login", {"username": "sam", "password": "nope"})
        statuses.append(reply.status)
    assert statuses[-1] == 429
    assert "Wait a while" in reply.text and reply.headers["Retry-After"].isdigit()


async def test_pages_without_a_session_send_you_to_sign_in(visitor: NewVisitor) -> None:
    person = await visitor()
    for path in ("/staff/", "/staff/cases/new", "/staff/items/itm_0"):
        assert (await person.get(path)).location == "/staff/login"
    assert (await person.get("/staff")).location == "/staff/"


async def test_a_case_is_set_up_entirely_through_forms(sam: Visitor) -> None:
    await sam.get("/staff/cases/new")
    reply = await sam.post(
        "/staff/cases",
        {"crime_reference": "CR/1/26", "modality": "letters", "risk_level": "standard"},
    )
    assert reply.status == 303
    case_url = reply.location.split("?")[0]
    case_id = case_url.rsplit("/", 1)[1]
    page = await sam.follow(reply)
    assert "The case is open" in page.text and "CR/1/26" in page.text

    people = {}
    for role, alias in (("harmed", "Alex"), ("responsible", "Sam R")):
        await sam.get(f"{case_url}/participants/new")
        added = await sam.post(
            f"/staff/cases/{case_id}/participants", {"role": role, "alias": alias, **VAULTS[role]}
        )
        assert added.status == 200
        code = re.search(r'id="invite-code"[^>]*>([A-Z0-9-]+)<', added.text)
        assert code, added.text
        people[role] = code.group(1)
    page = await sam.get(case_url)
    assert all(code not in page.text for code in people.values())  # shown once only
    assert not any(value in page.text for value in all_vault_values())

    refused = await sam.post(f"{case_url}/activate")
    assert refused.status == 409
    assert "Consent of the person harmed" in refused.text

    pids = re.findall(r'/participants/(par_\w+)/consent"', page.text)
    assert len(pids) == 2
    for pid in pids:
        assert (
            await sam.post(f"{case_url}/participants/{pid}/consent", {"given": "yes"})
        ).status == 303
        reply = await sam.post(
            f"{case_url}/participants/{pid}/assessment", {"outcome": "safe", "notes": "ok"}
        )
        assert reply.status == 303
    assert (await sam.post(f"{case_url}/admission", {"notes": "Admitted"})).status == 303
    reply = await sam.post(f"{case_url}/activate")
    assert reply.status == 303 and reply.location.endswith("done=active")
    page = await sam.follow(reply)
    assert "badge-active" in page.text and "missing</strong>" not in page.text
    assert "gate.admission" in page.text  # the audit trail is on the case page


async def test_contact_details_appear_only_after_an_audited_reveal(
    world: World, sam: Visitor
) -> None:
    page = await sam.get(f"/staff/cases/{world.case_id}")
    assert VAULTS["harmed"]["phone"] not in page.text
    reply = await sam.post(f"/staff/cases/{world.case_id}/participants/{world.harmed_id}/contact")
    assert reply.status == 200
    assert VAULTS["harmed"]["phone"] in reply.text and VAULTS["harmed"]["email"] in reply.text
    events = await world.api.ok("GET", f"/cases/{world.case_id}/audit", world.specialist)
    assert [
        e["subject"] for e in events["events"] if e["action"] == "participant.contact_read"
    ] == [world.harmed_id]


async def test_approving_with_an_unresolved_finding_is_refused_and_keeps_choices(
    world: World, sam: Visitor
) -> None:
    item = await _letter(world, "Sorry. Ring me on 07700 900123 any time.")
    page = await sam.get(f"/staff/items/{item}")
    assert '<mark class="finding' in page.text
    reply = await sam.post(
        f"/staff/items/{item}/decision",
        {"version": "1", "action": "approve", "content_note": "An apology"},
    )
    assert reply.status == 409
    assert "needs a decision" in reply.text and 'value="An apology"' in reply.text
    state = await world.api.ok("GET", f"/items/{item}", world.specialist)
    assert state["state"] == "pending" and state["version"] == 1


async def test_redacting_a_finding_delivers_the_replacement(
    world: World, sam: Visitor, harmed: Visitor
) -> None:
    text = "Sorry. Ring me on 07700 900123 any time."
    item = await _letter(world, text)
    detail = await world.api.ok("GET", f"/items/{item}", world.specialist)
    choices = {f"finding_{f['id']}": "redact" for f in detail["findings"]}
    assert choices
    preview = await sam.post(
        f"/staff/items/{item}/decision", {"version": "1", "action": "preview", **choices}
    )
    assert preview.status == 200 and "Ring me on [removed] any time." in preview.text
    reply = await sam.post(
        f"/staff/items/{item}/decision", {"version": "1", "action": "approve", **choices}
    )
    assert reply.status == 303 and reply.location.endswith("done=delivered")
    opened = await world.api.ok("POST", f"/me/items/{item}/open", world.harmed)
    assert opened["text"] == "Sorry. Ring me on [removed] any time."
    page = await sam.follow(reply)
    assert "Approved and delivered" in page.text and "approved with redactions" in page.text


async def test_dismissing_a_finding_needs_a_reason(world: World, sam: Visitor) -> None:
    item = await _letter(world, "Ring 07700 900123.")
    detail = await world.api.ok("GET", f"/items/{item}", world.specialist)
    fid = detail["findings"][0]["id"]
    choices = {f"finding_{f['id']}": "redact" for f in detail["findings"][1:]}
    reply = await sam.post(
        f"/staff/items/{item}/decision",
        {"version": "1", "action": "approve", f"finding_{fid}": "dismiss", **choices},
    )
    assert reply.status == 422 and "say why" in reply.text
    reply = await sam.post(
        f"/staff/items/{item}/decision",
        {
            "version": "1",
            "action": "approve",
            f"finding_{fid}": "dismiss",
            f"reason_{fid}": "Victim Support's public line",
            **choices,
        },
    )
    assert reply.status == 303


async def test_selected_spans_are_code_point_offsets(world: World, sam: Visitor) -> None:
    text = "🌧️ I think of 🏠 often. My nickname is Dee."
    item = await _letter(world, text)
    start = text.index("Dee")
    reply = await sam.post(
        f"/staff/items/{item}/decision",
        {"version": "1", "action": "approve", "span": f"{start}-{start + 3}"},
    )
    assert reply.status == 303, reply.text
    opened = await world.api.ok("POST", f"/me/items/{item}/open", world.harmed)
    assert opened["text"] == "🌧️ I think of 🏠 often. My nickname is [removed]."


async def test_typed_phrases_are_removed_everywhere(world: World, sam: Visitor) -> None:
    item = await _letter(world, "Dee says hi. Love, Dee")
    reply = await sam.post(
        f"/staff/items/{item}/decision",
        {"version": "1", "action": "approve", "remove_text": "Dee\r\n", "replacement": "[name]"},
    )
    assert reply.status == 303
    opened = await world.api.ok("POST", f"/me/items/{item}/open", world.harmed)
    assert opened["text"] == "[name] says hi. Love, [name]"


async def test_a_stale_version_is_refused(world: World, sam: Visitor) -> None:
    item = await _letter(world, "Thank you for reading.")
    reply = await sam.post(f"/staff/items/{item}/decision", {"version": "7", "action": "approve"})
    assert reply.status == 409 and "reload" in reply.text


async def test_returning_with_a_note_lets_the_author_revise(
    world: World, sam: Visitor, responsible: Visitor
) -> None:
    item = await _letter(world, "First try.")
    reply = await sam.post(f"/staff/items/{item}/decision", {"version": "1", "action": "return"})
    assert reply.status == 422 and "needs a note" in reply.text
    reply = await sam.post(
        f"/staff/items/{item}/decision",
        {"version": "1", "action": "return", "note": "Could you say more about why?"},
    )
    assert reply.status == 303
    page = await responsible.get(f"/me/items/{item}")
    assert "Could you say more about why?" in page.text and "/revise" in page.text
    reply = await responsible.post(f"/me/items/{item}/revise", {"body": "Second try,\r\nlonger."})
    assert reply.status == 303
    detail = await world.api.ok("GET", f"/items/{item}", world.specialist)
    assert detail["state"] == "pending" and detail["text"] == "Second try,\nlonger."


async def test_a_letter_with_carriage_returns_keeps_its_offsets(world: World, sam: Visitor) -> None:
    item = await _letter(world, "Line one\r\nRing 07700 900123")
    page = await sam.get(f"/staff/items/{item}")
    assert "Line one&#13;\n" in page.text


async def test_a_paper_letter_is_entered_on_a_participants_behalf(
    world: World, sam: Visitor
) -> None:
    await sam.get(f"/staff/cases/{world.case_id}/letters/new")
    reply = await sam.post(
        f"/staff/cases/{world.case_id}/letters",
        {"on_behalf_of": world.responsible_id, "kind": "letter", "body": "Handwritten."},
    )
    assert reply.status == 303
    item = reply.location.rsplit("/", 1)[1]
    detail = await world.api.ok("GET", f"/items/{item}", world.specialist)
    assert detail["entered_by"] and detail["author_id"] == world.responsible_id
    page = await sam.follow(reply)
    assert "entered from paper" in page.text


async def test_the_dashboard_lists_the_queue_oldest_first_with_waiting_time(
    world: World, sam: Visitor, clock: FrozenClock
) -> None:
    first = await _letter(world, "First.")
    clock.set(clock.now + timedelta(hours=3))
    second = await _letter(world, "Second.", world.harmed)
    page = await sam.get("/staff/")
    assert page.text.index(first) < page.text.index(second)
    assert "3 hours" in page.text
    assert "First." not in page.text  # no content on the dashboard


async def test_a_volunteers_approval_on_a_high_risk_case_waits_for_a_countersign(
    world: World, visitor: NewVisitor
) -> None:
    api, token = world.api, world.specialist
    case = await api.ok(
        "POST",
        "/cases",
        token,
        {"crime_reference": "CR/9", "modality": "letters", "risk_level": "high"},
        201,
    )
    await api.ok("POST", f"/cases/{case['id']}/assign", token, {"practitioner": "val"})
    author = await add_party(api, token, case["id"], "responsible", "Jo")
    await add_party(api, token, case["id"], "harmed", "Kim")
    body = await api.ok(
        "POST",
        "/party/activate",
        json={"code": author["invite_code"], "passphrase": "a long quiet river"},
        status=201,
    )
    item = await _letter(world, "I am sorry.", body["token"])
    val = await staff_signed_in(visitor, "val")
    reply = await val.post(f"/staff/items/{item}/decision", {"version": "1", "action": "approve"})
    assert reply.status == 303 and reply.location.endswith("done=countersign")
    page = await val.follow(reply)
    assert "Waiting for an RJ specialist" in page.text and 'value="countersign"' not in page.text
    sam = await staff_signed_in(visitor, "sam")
    dashboard = await sam.get("/staff/")
    assert item in dashboard.text.split("Awaiting countersign")[1]
    extra = await sam.post(
        f"/staff/items/{item}/decision",
        {"version": "2", "action": "countersign", "span": "0-1"},
    )
    assert extra.status == 422 and "as it stands" in extra.text
    reply = await sam.post(
        f"/staff/items/{item}/decision", {"version": "2", "action": "countersign"}
    )
    assert reply.status == 303 and reply.location.endswith("done=approved")


async def test_closing_needs_a_confirmation_and_records_outcomes(
    world: World, sam: Visitor
) -> None:
    url = f"/staff/cases/{world.case_id}"
    assert (await sam.post(f"{url}/close", {})).status == 422
    reply = await sam.post(f"{url}/close", {"confirm": "yes", "outcomes": "apology_given"})
    assert reply.status == 303
    detail = await world.api.ok("GET", url.replace("/staff", ""), world.specialist)
    assert detail["status"] == "closed"


async def test_withdrawal_on_a_participants_behalf_needs_a_confirmation(
    world: World, sam: Visitor
) -> None:
    url = f"/staff/cases/{world.case_id}/participants/{world.harmed_id}/withdraw"
    assert (await sam.post(url, {})).status == 422
    reply = await sam.post(url, {"confirm": "yes"})
    assert reply.status == 303 and reply.location.endswith("done=withdrawn")


async def test_an_unknown_page_is_a_friendly_404(sam: Visitor) -> None:
    reply = await sam.get("/staff/nowhere")
    assert reply.status == 404 and "text/html" in reply.headers["Content-Type"]
    reply = await sam.get("/staff/items/itm_doesnotexist")
    assert reply.status == 404 and "Not found" in reply.text


async def test_notifications_that_gave_up_are_retried_from_the_case_page(
    world: World, sam: Visitor, clock: FrozenClock
) -> None:
    await give_up_notifying(world, clock)
    case_url = f"/staff/cases/{world.case_id}"
    page = await sam.get(case_url)
    assert "gave up: <strong>1</strong>" in page.text
    assert "Try the failed notifications again" in page.text
    forged = await sam.post(f"{case_url}/notifications/retry", {"csrf_token": "forged"})
    assert forged.status == 403
    assert [n["state"] for n in await notifications(world)] == ["failed"]

    reply = await sam.post(f"{case_url}/notifications/retry")
    assert reply.status == 303 and reply.headers["Location"] == f"{case_url}?done=requeued"
    page = await sam.get(reply.headers["Location"])
    assert "queued again" in page.text
    assert "waiting to go: <strong>1</strong>" in page.text
    assert "Try the failed notifications again" not in page.text
    assert [n["state"] for n in await notifications(world)] == ["queued"]
