"""The full journey of DESIGN.md, through the real app."""

from __future__ import annotations

from tests.conftest import World


async def test_redacted_letter_reaches_the_harmed_party_exactly(world: World) -> None:
    api = world.api
    text = "I am sorry for what I did. Call me on 07700 900982 if you want."
    written = await api.ok(
        "POST", "/me/items", world.responsible, {"kind": "letter", "body": text}, status=201
    )
    assert written["state"] == "pending"

    received = await api.ok("GET", "/me/items", world.harmed)
    assert received["received"] == []

    item = await api.ok("GET", f"/items/{written['id']}", world.specialist)
    start = text.index("Call me")
    end = len(text)
    decided = await api.ok(
        "POST",
        f"/items/{written['id']}/decision",
        world.specialist,
        {
            "action": "redact",
            "version": item["version"],
            "redactions": [{"start": start, "end": end, "replacement": "[removed]"}],
        },
    )
    assert decided["state"] == "delivered"

    inbox = await api.ok("GET", "/me/items", world.harmed)
    assert [entry["state"] for entry in inbox["received"]] == ["waiting"]
    assert "text" not in inbox["received"][0]
    opened = await api.ok("POST", f"/me/items/{written['id']}/open", world.harmed)
    assert opened["text"] == "I am sorry for what I did. [removed]"

    sent = await api.ok("GET", "/me/items", world.responsible)
    assert sent["sent"][0]["state"] == "delivered"
    assert sent["sent"][0]["text"] == text
    assert sent["sent"][0]["delivered_text"] == "I am sorry for what I did. [removed]"
