"""The RJ gates and the case lifecycle."""

from __future__ import annotations

from tests.conftest import Api, World, activate_party, add_party, staff_login


async def _new_case(api: Api, token: str) -> str:
    body = await api.ok(
        "POST",
        "/cases",
        token,
        {"crime_reference": "CR/77/26", "modality": "shuttle", "risk_level": "standard"},
        status=201,
    )
    return str(body["id"])


async def test_activation_lists_every_missing_gate(api: Api) -> None:
    token = await staff_login(api)
    case_id = await _new_case(api, token)
    harmed = await add_party(api, token, case_id, "harmed", "Alex")
    await api.ok(
        "POST", f"/cases/{case_id}/participants/{harmed['id']}/consent", token, {"given": True}
    )
    status, body = await api.post(f"/cases/{case_id}/activate", token)
    assert status == 409
    assert body["missing"] == [
        "consent_responsible",
        "admission",
        "assessment_harmed",
        "assessment_responsible",
    ]
    case = await api.ok("GET", f"/cases/{case_id}", token)
    assert case["status"] == "intake"
    assert case["gates"]["consent_harmed"] is True


async def test_unsafe_assessment_pauses_an_active_case_at_once(world: World) -> None:
    result = await world.api.ok(
        "POST",
        f"/cases/{world.case_id}/participants/{world.harmed_id}/assessments",
        world.specialist,
        {"outcome": "unsafe", "notes": "New concern raised by police."},
        status=201,
    )
    assert result["case_status"] == "paused"
    case = await world.api.ok("GET", f"/cases/{world.case_id}", world.specialist)
    assert case["status"] == "paused"
    assert "assessment_harmed" in case["missing"]
    status, body = await world.api.post(f"/cases/{world.case_id}/activate", world.specialist)
    assert (status, body["missing"]) == (409, ["assessment_harmed"])


async def test_participant_never_learns_why_a_case_is_on_hold(world: World) -> None:
    await world.api.ok("POST", f"/cases/{world.case_id}/pause", world.specialist)
    me = await world.api.ok("GET", "/me", world.harmed)
    assert me == {
        "alias": "Alex",
        "role": "harmed",
        "case": {"status": "on_hold", "other_party_alias": "Sam R"},
    }


async def test_closed_case_reads_as_ended_for_both_sides(world: World) -> None:
    await world.api.ok("POST", f"/cases/{world.case_id}/close", world.specialist)
    for token in (world.harmed, world.responsible):
        me = await world.api.ok("GET", "/me", token)
        assert me["case"]["status"] == "ended"


async def test_supporter_cannot_withdraw_but_practitioner_can_for_the_principal(
    world: World,
) -> None:
    supporter = await add_party(
        world.api, world.specialist, world.case_id, "supporter", "Jo", supports=world.harmed_id
    )
    token, _ = await activate_party(world.api, supporter["invite_code"])
    status, _ = await world.api.post("/me/withdraw", token)
    assert status == 403
    status, _ = await world.api.post(
        f"/cases/{world.case_id}/participants/{supporter['id']}/withdraw", world.specialist
    )
    assert status == 409
    await world.api.ok(
        "POST",
        f"/cases/{world.case_id}/participants/{world.harmed_id}/withdraw",
        world.specialist,
    )
    me = await world.api.ok("GET", "/me", world.harmed)
    assert me["case"]["status"] == "withdrawn"


async def test_supporter_reads_received_items_only_with_permission(world: World) -> None:
    supporter = await add_party(
        world.api, world.specialist, world.case_id, "supporter", "Jo", supports=world.harmed_id
    )
    token, _ = await activate_party(world.api, supporter["invite_code"])
    item = await world.api.ok(
        "POST", "/me/items", world.responsible, {"kind": "letter", "body": "Sorry."}, status=201
    )
    await world.api.ok(
        "POST",
        f"/items/{item['id']}/decision",
        world.specialist,
        {"action": "approve", "version": 1},
    )
    assert (await world.api.ok("GET", "/me/items", token))["received"] == []
    status, _ = await world.api.post(f"/me/items/{item['id']}/open", token)
    assert status == 404
    await world.api.ok(
        "POST",
        f"/cases/{world.case_id}/participants/{world.harmed_id}/supporter-access",
        world.specialist,
        {"read": True},
    )
    received = (await world.api.ok("GET", "/me/items", token))["received"]
    assert [entry["id"] for entry in received] == [item["id"]]


async def test_supporter_writes_on_behalf_of_the_principal(world: World) -> None:
    supporter = await add_party(
        world.api, world.specialist, world.case_id, "supporter", "Jo", supports=world.harmed_id
    )
    token, _ = await activate_party(world.api, supporter["invite_code"])
    item = await world.api.ok(
        "POST",
        "/me/items",
        token,
        {"kind": "message", "body": "Alex asked me to write."},
        status=201,
    )
    detail = await world.api.ok("GET", f"/items/{item['id']}", world.specialist)
    assert detail["author_role"] == "supporter"
    assert detail["recipient_id"] == world.responsible_id


async def test_paper_letter_is_entered_on_behalf_of_a_participant(world: World) -> None:
    item = await world.api.ok(
        "POST",
        f"/cases/{world.case_id}/items",
        world.specialist,
        {"on_behalf_of": world.harmed_id, "kind": "letter", "body": "Handwritten words."},
        status=201,
    )
    detail = await world.api.ok("GET", f"/items/{item['id']}", world.specialist)
    assert (detail["author_role"], detail["recipient_id"]) == ("harmed", world.responsible_id)
    sent = (await world.api.ok("GET", "/me/items", world.harmed))["sent"]
    assert [entry["id"] for entry in sent] == [item["id"]]


async def test_volunteer_sees_only_assigned_cases(world: World) -> None:
    volunteer = await staff_login(world.api, "val")
    assert (await world.api.ok("GET", "/cases", volunteer))["cases"] == []
    status, _ = await world.api.get(f"/cases/{world.case_id}", volunteer)
    assert status == 404
    await world.api.ok(
        "POST", f"/cases/{world.case_id}/assign", world.specialist, {"practitioner": "val"}
    )
    cases = (await world.api.ok("GET", "/cases", volunteer))["cases"]
    assert [case["id"] for case in cases] == [world.case_id]


async def test_volunteer_cannot_add_practitioners(world: World) -> None:
    volunteer = await staff_login(world.api, "val")
    status, _ = await world.api.post(
        "/practitioners",
        volunteer,
        {
            "username": "newbie",
            "password": "long enough pass",
            "role": "volunteer",
            "display_name": "New",
        },
    )
    assert status == 403
