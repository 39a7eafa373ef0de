"""Non-negotiable 2: no contact detail ever reaches the other side, in bodies or headers."""

from __future__ import annotations

from tests.conftest import VAULTS, World, activate_party, add_party, all_vault_values


def _normalised(value: str) -> list[str]:
    compact = "".join(ch for ch in value if ch.isalnum()).lower()
    return [value.lower(), compact]


def _leaks(text: str) -> list[str]:
    haystack = text.lower()
    compact = "".join(ch for ch in haystack if ch.isalnum())
    found = []
    for value in all_vault_values():
        plain, squeezed = _normalised(value)
        if plain in haystack or (len(squeezed) >= 6 and squeezed in compact):
            found.append(value)
    return found


async def test_no_party_facing_response_carries_any_vault_value(world: World) -> None:
    api = world.api
    supporter = await add_party(
        api, world.specialist, world.case_id, "supporter", "Jo", supports=world.harmed_id
    )
    await api.ok(
        "POST",
        f"/cases/{world.case_id}/participants/{world.harmed_id}/supporter-access",
        world.specialist,
        {"read": True},
    )
    supporter_token, _ = await activate_party(api, supporter["invite_code"])
    api.responses.clear()  # from here on, every response is party-facing

    parties = (world.harmed, world.responsible, supporter_token)
    for token in parties:
        await api.get("/me", token)
        await api.get("/me/items", token)
        await api.get("/me/preferences", token)
    letter = await api.ok(
        "POST",
        "/me/items",
        world.responsible,
        {"kind": "letter", "body": "I am sorry for that night."},
        status=201,
    )
    staff_calls = len(api.responses)
    await api.ok(
        "POST",
        f"/items/{letter['id']}/decision",
        world.specialist,
        {"action": "approve", "version": 1, "content_note": "An apology."},
    )
    del api.responses[staff_calls:]
    for token in parties:
        await api.get("/me/items", token)
    await api.post(f"/me/items/{letter['id']}/open", world.harmed)
    await api.post(f"/me/items/{letter['id']}/ask-practitioner", world.harmed)
    await api.put(
        "/me/preferences",
        world.harmed,
        {
            "read_receipts": True,
            "delivery_window": {"days": [1, 2, 3], "start": "09:00", "end": "17:00"},
        },
    )
    for token in parties:
        await api.get("/me/items", token)
        await api.get("/me", token)
    await api.post("/me/withdraw", world.harmed)
    for token in parties:
        await api.get("/me", token)
        await api.get("/me/items", token)
    await api.post("/party/login", json={"login": world.logins["harmed"], "passphrase": "wrong"})

    assert len(api.responses) > 25
    for path, status, headers, body in api.responses:
        assert status < 500, (path, body)
        exposed = body + "\n".join(f"{k}: {v}" for k, v in headers.items())
        assert _leaks(exposed) == [], (path, _leaks(exposed))


async def test_the_scan_itself_would_catch_a_leak() -> None:
    # The check above is only worth something if it finds a value in a disguised form.
    assert _leaks('{"x": "call 07700-900-461"}') == [VAULTS["harmed"]["phone"]]
    assert _leaks("MAGGIE.ELLISON@EXAMPLE.ORG") == [VAULTS["harmed"]["email"]]


async def test_contact_details_are_revealed_to_practitioners_only_and_audited(
    world: World,
) -> None:
    path = f"/cases/{world.case_id}/participants/{world.harmed_id}/contact"
    status, _ = await world.api.get(path, world.responsible)
    assert status == 403
    contact = await world.api.ok("GET", path, world.specialist)
    assert contact["phone"] == VAULTS["harmed"]["phone"]
    events = await world.api.ok("GET", f"/cases/{world.case_id}/audit", world.specialist)
    reads = [e for e in events["events"] if e["action"] == "participant.contact_read"]
    assert [(e["actor"], e["subject"]) for e in reads] == [("staff:sam", world.harmed_id)]
    assert _leaks(str(events)) == []
