"""The moderation rules, called directly: versions, findings, countersigning, claims, revision."""

from __future__ import annotations

from datetime import timedelta

import pytest

from moderation.redaction import Span
from relay.domain import decisions, items
from relay.domain.cases import assign
from relay.domain.errors import Conflict, Forbidden, Invalid
from tests.domain.scene import LETTER, WITH_DETAILS, Scene


# -- versions ------------------------------------------------------------------------------
@pytest.mark.parametrize("named", [0, 2, 7])
async def test_a_decision_naming_another_version_is_refused_and_changes_nothing(
    scene: Scene, named: int
) -> None:
    item_id = await scene.letter(scene.responsible)
    before = await scene.item(item_id)

    with pytest.raises(Conflict) as refused:
        await scene.decide(scene.sam, item_id, version=named)

    assert refused.value.extra["current_version"] == 1
    after = await scene.item(item_id)
    assert (after.state, after.version, after.updated_at) == ("pending", 1, before.updated_at)
    assert "item.approve" not in [e.action for e in await scene.events(item_id)]


async def test_a_decision_on_the_version_before_a_revision_is_refused(scene: Scene) -> None:
    item_id = await scene.letter(scene.responsible)
    await scene.decide(scene.sam, item_id, "return", version=1)  # version 2, returned
    await items.revise_item(scene.relay, scene.responsible, item_id, "I am truly sorry.")

    with pytest.raises(Conflict) as refused:
        await scene.decide(scene.sam, item_id, version=2)

    assert refused.value.extra["current_version"] == 3
    assert (await scene.item(item_id)).state == "pending"


async def test_every_decision_raises_the_version_by_one(high_risk: Scene) -> None:
    item_id = await high_risk.letter(high_risk.responsible)
    assert (await high_risk.decide(high_risk.val, item_id, version=1))["version"] == 2
    assert (await high_risk.decide(high_risk.sam, item_id, "countersign", version=2))[
        "version"
    ] == 3


async def test_a_claim_does_not_raise_the_version(scene: Scene) -> None:
    item_id = await scene.letter(scene.responsible)
    await decisions.claim(scene.relay, scene.val, item_id, True)
    assert (await scene.item(item_id)).version == 1


# -- findings ------------------------------------------------------------------------------
async def test_an_item_with_unresolved_findings_cannot_be_approved(scene: Scene) -> None:
    item_id = await scene.letter(scene.responsible, WITH_DETAILS)
    findings = (await scene.content(item_id)).findings
    assert [f["kind"] for f in findings] == ["phone", "email"]

    with pytest.raises(Conflict) as refused:
        await scene.decide(scene.sam, item_id, version=1)

    assert refused.value.extra["unresolved"] == ["f1", "f2"]
    after = await scene.item(item_id)
    assert (after.state, after.version) == ("pending", 1)


async def test_only_the_findings_left_unresolved_are_listed(scene: Scene) -> None:
    item_id = await scene.letter(scene.responsible, WITH_DETAILS)

    with pytest.raises(Conflict) as refused:
        await scene.decide(
            scene.sam, item_id, "redact", version=1, redactions=[Span(11, 23)]
        )  # the phone number only

    assert refused.value.extra["unresolved"] == ["f2"]
    assert (await scene.content(item_id)).body == WITH_DETAILS  # nothing was redacted


async def test_dismissing_every_finding_with_a_reason_resolves_them(scene: Scene) -> None:
    item_id = await scene.letter(scene.responsible, WITH_DETAILS)
    reasons = {"f1": "The hub's own number.", "f2": "The hub's own address."}

    decided = await scene.decide(scene.sam, item_id, version=1, dismissed=reasons)

    assert decided["state"] == "delivered"
    content = await scene.content(item_id)
    assert content.dismissed == reasons and content.body == WITH_DETAILS


async def test_dismissing_a_finding_without_a_reason_does_not_resolve_it(scene: Scene) -> None:
    item_id = await scene.letter(scene.responsible, WITH_DETAILS)

    with pytest.raises(Invalid, match="Say why finding"):
        await scene.decide(scene.sam, item_id, version=1, dismissed={"f1": " ", "f2": ""})

    assert (await scene.item(item_id)).state == "pending"


async def test_redacting_the_spans_of_every_finding_resolves_them(scene: Scene) -> None:
    item_id = await scene.letter(scene.responsible, WITH_DETAILS)
    spans = [Span(11, 23), Span(36, 55, "[an address]")]

    decided = await scene.decide(scene.sam, item_id, "redact", version=1, redactions=spans)

    assert decided["state"] == "delivered"
    content = await scene.content(item_id)
    assert content.body == "Call me on [removed] or write to [an address] please."
    assert content.original == WITH_DETAILS


async def test_redacting_one_finding_and_dismissing_the_other_resolves_both(scene: Scene) -> None:
    item_id = await scene.letter(scene.responsible, WITH_DETAILS)

    decided = await scene.decide(
        scene.sam,
        item_id,
        "redact",
        version=1,
        redactions=[Span(11, 23)],
        dismissed={"f2": "A public helpline address."},
    )

    assert decided["state"] == "delivered"
    assert "07700" not in (await scene.content(item_id)).body


async def test_dismissing_a_finding_the_item_does_not_have_is_invalid(scene: Scene) -> None:
    item_id = await scene.letter(scene.responsible)
    with pytest.raises(Invalid):
        await scene.decide(scene.sam, item_id, version=1, dismissed={"f9": "No such thing."})
    assert (await scene.item(item_id)).state == "pending"


# -- countersigning ------------------------------------------------------------------------
async def test_a_volunteers_approval_on_a_high_risk_case_goes_to_countersign(
    high_risk: Scene,
) -> None:
    item_id = await high_risk.letter(high_risk.responsible)

    decided = await high_risk.decide(high_risk.val, item_id, version=1)

    assert decided == {"id": item_id, "state": "countersign", "version": 2}
    assert (await high_risk.item(item_id)).delivered_at is None
    assert await high_risk.received(high_risk.harmed) == {}


async def test_a_volunteers_redaction_on_a_high_risk_case_goes_to_countersign(
    high_risk: Scene,
) -> None:
    item_id = await high_risk.letter(high_risk.responsible, WITH_DETAILS)
    spans = [Span(11, 23), Span(36, 55)]
    decided = await high_risk.decide(high_risk.val, item_id, "redact", version=1, redactions=spans)
    assert decided["state"] == "countersign"


async def test_a_specialists_approval_on_a_high_risk_case_needs_no_countersign(
    high_risk: Scene,
) -> None:
    item_id = await high_risk.letter(high_risk.responsible)
    assert (await high_risk.decide(high_risk.sam, item_id, version=1))["state"] == "delivered"


async def test_a_volunteers_approval_on_a_standard_case_needs_no_countersign(scene: Scene) -> None:
    item_id = await scene.letter(scene.responsible)
    assert (await scene.decide(scene.val, item_id, version=1))["state"] == "delivered"


async def test_a_volunteer_cannot_countersign(high_risk: Scene) -> None:
    item_id = await high_risk.letter(high_risk.responsible)
    await high_risk.decide(high_risk.val, item_id, version=1)

    with pytest.raises(Conflict):
        await high_risk.decide(high_risk.val, item_id, "countersign", version=2)

    after = await high_risk.item(item_id)
    assert (after.state, after.version) == ("countersign", 2)


async def test_a_specialist_countersigns_and_the_item_is_released(high_risk: Scene) -> None:
    item_id = await high_risk.letter(high_risk.responsible)
    await high_risk.decide(high_risk.val, item_id, version=1)

    decided = await high_risk.decide(high_risk.sam, item_id, "countersign", version=2)

    assert decided == {"id": item_id, "state": "delivered", "version": 3}
    assert item_id in await high_risk.received(high_risk.harmed)


async def test_only_an_item_awaiting_countersign_can_be_countersigned(high_risk: Scene) -> None:
    item_id = await high_risk.letter(high_risk.responsible)
    with pytest.raises(Conflict):
        await high_risk.decide(high_risk.sam, item_id, "countersign", version=1)
    assert (await high_risk.item(item_id)).state == "pending"


async def test_an_item_awaiting_countersign_cannot_be_approved_again(high_risk: Scene) -> None:
    item_id = await high_risk.letter(high_risk.responsible)
    await high_risk.decide(high_risk.val, item_id, version=1)
    with pytest.raises(Conflict):
        await high_risk.decide(high_risk.sam, item_id, "approve", version=2)
    assert (await high_risk.item(item_id)).state == "countersign"


# -- claims ----------------------------------------------------------------------------------
async def test_an_item_claimed_by_one_volunteer_cannot_be_decided_by_another(
    scene: Scene,
) -> None:
    await _assign_vic(scene)
    item_id = await scene.letter(scene.responsible)
    await decisions.claim(scene.relay, scene.val, item_id, True)

    with pytest.raises(Conflict) as refused:
        await scene.decide(scene.vic, item_id, version=1)

    assert refused.value.extra == {"claimed": True}
    after = await scene.item(item_id)
    assert (after.state, after.version, after.claimed_by) == ("pending", 1, scene.val.id)


async def test_another_volunteer_cannot_take_a_claim_over(scene: Scene) -> None:
    await _assign_vic(scene)
    item_id = await scene.letter(scene.responsible)
    await decisions.claim(scene.relay, scene.val, item_id, True)

    with pytest.raises(Conflict):
        await decisions.claim(scene.relay, scene.vic, item_id, True)

    assert (await scene.item(item_id)).claimed_by == scene.val.id


async def test_the_claimant_decides_their_own_claimed_item(scene: Scene) -> None:
    item_id = await scene.letter(scene.responsible)
    await decisions.claim(scene.relay, scene.val, item_id, True)

    assert (await scene.decide(scene.val, item_id, version=1))["state"] == "delivered"
    after = await scene.item(item_id)
    assert after.claimed_by is None  # a decision ends the claim


async def test_a_specialist_takes_over_a_claim_and_the_audit_records_whose(scene: Scene) -> None:
    item_id = await scene.letter(scene.responsible)
    await decisions.claim(scene.relay, scene.val, item_id, True)

    decided = await scene.decide(scene.sam, item_id, version=1)

    assert decided["state"] == "delivered"
    approvals = [e for e in await scene.events(item_id) if e.action == "item.approve"]
    assert len(approvals) == 1
    assert approvals[0].actor == scene.sam.label
    assert approvals[0].details["takeover_from"] == scene.val.id


async def test_a_decision_on_an_unclaimed_item_records_no_takeover(scene: Scene) -> None:
    item_id = await scene.letter(scene.responsible)
    await scene.decide(scene.sam, item_id, version=1)
    (approval,) = [e for e in await scene.events(item_id) if e.action == "item.approve"]
    assert approval.details["takeover_from"] is None


async def test_a_specialists_claim_over_anothers_is_audited_as_a_takeover(scene: Scene) -> None:
    item_id = await scene.letter(scene.responsible)
    await decisions.claim(scene.relay, scene.val, item_id, True)

    claimed = await decisions.claim(scene.relay, scene.sam, item_id, True)

    assert claimed["claimed_by"] == "sam"
    claims = [e for e in await scene.events(item_id) if e.action == "item.claimed"]
    assert [e.details["takeover_from"] for e in claims] == [None, scene.val.id]


async def test_a_claim_that_has_run_out_no_longer_holds(scene: Scene) -> None:
    await _assign_vic(scene)
    item_id = await scene.letter(scene.responsible)
    await decisions.claim(scene.relay, scene.val, item_id, True)
    scene.clock.set(scene.clock.now + timedelta(seconds=scene.relay.config.claim_seconds + 1))

    decided = await scene.decide(scene.vic, item_id, version=1)

    assert decided["state"] == "delivered"
    (approval,) = [e for e in await scene.events(item_id) if e.action == "item.approve"]
    assert approval.details["takeover_from"] is None


async def test_a_released_claim_no_longer_holds(scene: Scene) -> None:
    await _assign_vic(scene)
    item_id = await scene.letter(scene.responsible)
    await decisions.claim(scene.relay, scene.val, item_id, True)
    await decisions.claim(scene.relay, scene.val, item_id, False)

    assert (await scene.decide(scene.vic, item_id, version=1))["state"] == "delivered"


# -- return, reject, revise ------------------------------------------------------------------
@pytest.mark.parametrize("action", ["return", "reject"])
async def test_a_return_or_rejection_needs_a_note(scene: Scene, action: str) -> None:
    item_id = await scene.letter(scene.responsible)
    with pytest.raises(Invalid):
        await scene.decide(scene.sam, item_id, action, version=1, note="   ")
    assert (await scene.item(item_id)).state == "pending"


async def test_a_returned_item_is_revised_back_to_pending_at_a_new_version(scene: Scene) -> None:
    item_id = await scene.letter(scene.responsible)
    await scene.decide(scene.sam, item_id, "return", version=1)

    revised = await items.revise_item(scene.relay, scene.responsible, item_id, "I am so sorry.")

    assert revised == {"id": item_id, "state": "pending", "version": 3}
    assert (await scene.content(item_id)).original == "I am so sorry."


async def test_revising_rescans_the_new_text(scene: Scene) -> None:
    item_id = await scene.letter(scene.responsible)
    await scene.decide(scene.sam, item_id, "return", version=1)
    await items.revise_item(scene.relay, scene.responsible, item_id, WITH_DETAILS)

    with pytest.raises(Conflict) as refused:
        await scene.decide(scene.sam, item_id, version=3)
    assert refused.value.extra["unresolved"] == ["f1", "f2"]


async def test_only_a_returned_item_can_be_revised(scene: Scene) -> None:
    item_id = await scene.letter(scene.responsible)
    with pytest.raises(Conflict):
        await items.revise_item(scene.relay, scene.responsible, item_id, "Changed my mind.")
    assert (await scene.item(item_id)).version == 1
    assert (await scene.content(item_id)).original == LETTER


async def test_a_rejected_item_cannot_be_revised_or_decided(scene: Scene) -> None:
    item_id = await scene.letter(scene.responsible)
    await scene.decide(scene.sam, item_id, "reject", version=1)
    with pytest.raises(Conflict):
        await items.revise_item(scene.relay, scene.responsible, item_id, "Please.")
    with pytest.raises(Conflict):
        await scene.decide(scene.sam, item_id, version=2)
    assert (await scene.item(item_id)).state == "rejected"


async def test_a_participant_cannot_decide(scene: Scene) -> None:
    item_id = await scene.letter(scene.responsible)
    with pytest.raises(Forbidden):
        await scene.decide(scene.harmed, item_id, version=1)  # type: ignore[arg-type]
    assert (await scene.item(item_id)).state == "pending"


async def _assign_vic(scene: Scene) -> None:
    await assign(scene.relay, scene.sam, scene.case_id, "vic")
