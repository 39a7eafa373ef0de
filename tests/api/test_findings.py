"""Findings gate approval: every finding is redacted or dismissed with a reason first."""

from __future__ import annotations

from tests.conftest import World

# The responsible party's own vault phone is +44 7700 900982 (tests/conftest.py).
WORDS = "Ring me, it's oh seven seven double oh, nine double oh, nine eight two. Sorry."


async def _write(world: World, text: str) -> dict:
    item = await world.api.ok(
        "POST", "/me/items", world.responsible, {"kind": "letter", "body": text}, status=201
    )
    return await world.api.ok("GET", f"/items/{item['id']}", world.specialist)


async def test_own_phone_in_words_blocks_approval_until_redacted(world: World) -> None:
    item = await _write(world, WORDS)
    assert item["findings"], "the spelled-out vault phone was not found"
    status, body = await world.api.post(
        f"/items/{item['id']}/decision", world.specialist, {"action": "approve", "version": 1}
    )
    assert status == 409
    assert body["unresolved"] == [f["id"] for f in item["findings"]]
    assert (await world.api.ok("GET", "/me/items", world.harmed))["received"] == []

    spans = [{"start": f["start"], "end": f["end"]} for f in item["findings"]]
    decided = await world.api.ok(
        "POST",
        f"/items/{item['id']}/decision",
        world.specialist,
        {"action": "redact", "version": 1, "redactions": spans},
    )
    assert decided["state"] == "delivered"
    opened = await world.api.ok("POST", f"/me/items/{item['id']}/open", world.harmed)
    assert "seven" not in opened["text"]
    assert opened["text"].endswith("Sorry.")


async def test_a_finding_dismissed_with_a_reason_allows_approval(world: World) -> None:
    item = await _write(world, WORDS)
    dismissed = [
        {"finding": f["id"], "reason": "Agreed with both parties in the meeting."}
        for f in item["findings"]
    ]
    status, _ = await world.api.post(
        f"/items/{item['id']}/decision",
        world.specialist,
        {
            "action": "approve",
            "version": 1,
            "dismissed": [{"finding": d["finding"], "reason": " "} for d in dismissed],
        },
    )
    assert status == 422  # a reason must say something
    decided = await world.api.ok(
        "POST",
        f"/items/{item['id']}/decision",
        world.specialist,
        {"action": "approve", "version": 1, "dismissed": dismissed},
    )
    assert decided["state"] == "delivered"
    detail = await world.api.ok("GET", f"/items/{item['id']}", world.specialist)
    assert set(detail["dismissed"]) == {f["id"] for f in item["findings"]}
    audit = await world.api.ok("GET", f"/cases/{world.case_id}/audit", world.specialist)
    approve = next(e for e in audit["events"] if e["action"] == "item.approve")
    assert approve["details"]["dismissed"] == sorted(d["finding"] for d in dismissed)
    assert "Agreed with both parties" not in str(audit)


async def test_findings_appear_in_the_queue_with_offsets_into_the_text(world: World) -> None:
    text = "Write to j dot smith at gmail dot com or find me on insta @jsmith_99."
    await _write(world, text)
    queue = await world.api.ok("GET", "/queue", world.specialist)
    entry = queue["items"][0]
    kinds = {f["kind"] for f in entry["findings"]}
    assert {"email", "handle"} <= kinds
    for finding in entry["findings"]:
        assert 0 <= finding["start"] < finding["end"] <= len(entry["text"])


async def test_risk_phrases_are_flagged_for_the_moderator(world: World) -> None:
    item = await _write(world, "I know where you live. Meet me outside, just us.")
    assert "risk" in {f["kind"] for f in item["findings"]}
