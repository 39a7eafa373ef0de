"""Authorization, called directly: who may reach which case and item (relay.domain.access)."""

from __future__ import annotations

import pytest

from relay.domain import cases, decisions, gates, portal, views
from relay.domain.access import case_for, item_for_party, item_for_staff
from relay.domain.actors import Actor, Party, Staff
from relay.domain.errors import Forbidden, NotFound
from relay.storage.cases import Case
from relay.storage.items import Item
from tests.domain.scene import AFTERNOONS, Scene, Staffroom, join, open_case


async def _staff_reach(scene: Scene, staff: Staff, item_id: str) -> Item:
    return await scene.relay.store.read(lambda tx: item_for_staff(tx, staff, item_id))


async def _party_reach(scene: Scene, party: Party, item_id: str) -> tuple[Item, str]:
    return await scene.relay.store.read(lambda tx: item_for_party(tx, party, item_id))


async def _case_reach(scene: Scene, actor: Actor, case_id: str) -> Case:
    return await scene.relay.store.read(lambda tx: case_for(tx, actor, case_id))


# -- practitioners ---------------------------------------------------------------------------
async def test_a_volunteer_cannot_see_an_unassigned_cases_item(scene: Scene) -> None:
    item_id = await scene.letter(scene.responsible)

    with pytest.raises(NotFound):
        await _staff_reach(scene, scene.vic, item_id)
    with pytest.raises(NotFound):
        await views.item_detail(scene.relay, scene.vic, item_id)


async def test_a_volunteer_cannot_decide_or_claim_an_unassigned_cases_item(scene: Scene) -> None:
    item_id = await scene.letter(scene.responsible)

    with pytest.raises(NotFound):
        await scene.decide(scene.vic, item_id, version=1)
    with pytest.raises(NotFound):
        await decisions.claim(scene.relay, scene.vic, item_id, True)
    after = await scene.item(item_id)
    assert (after.state, after.claimed_by) == ("pending", None)


async def test_an_unassigned_case_looks_like_no_case_to_a_volunteer(scene: Scene) -> None:
    with pytest.raises(NotFound) as unassigned:
        await cases.case_detail(scene.relay, scene.vic, scene.case_id)
    with pytest.raises(NotFound) as missing:
        await cases.case_detail(scene.relay, scene.vic, "cas_0000000000000000")
    assert unassigned.value.detail == missing.value.detail
    assert scene.case_id not in [c.id for c in await cases.list_cases(scene.relay, scene.vic)]


async def test_an_unassigned_volunteer_cannot_record_a_gate(scene: Scene) -> None:
    with pytest.raises(NotFound):
        await gates.record_admission(scene.relay, scene.vic, scene.case_id, "Seen.")


async def test_an_assigned_volunteer_sees_the_cases_items(scene: Scene) -> None:
    item_id = await scene.letter(scene.responsible)
    assert (await _staff_reach(scene, scene.val, item_id)).id == item_id
    assert scene.case_id in [c.id for c in await cases.list_cases(scene.relay, scene.val)]


async def test_assignment_brings_the_case_into_a_volunteers_reach(scene: Scene) -> None:
    item_id = await scene.letter(scene.responsible)
    await cases.assign(scene.relay, scene.sam, scene.case_id, "vic")
    assert (await _staff_reach(scene, scene.vic, item_id)).id == item_id


async def test_a_specialist_sees_every_case(scene: Scene) -> None:
    case = await cases.create_case(
        scene.relay, scene.val, crime_reference="CR/9/26", modality="letters", risk_level="high"
    )
    assert (await _case_reach(scene, scene.sam, case.id)).id == case.id


async def test_a_volunteer_who_opens_a_case_works_on_it(scene: Scene) -> None:
    case = await cases.create_case(
        scene.relay, scene.vic, crime_reference="CR/9/26", modality="letters", risk_level="high"
    )
    assert (await _case_reach(scene, scene.vic, case.id)).id == case.id
    with pytest.raises(NotFound):
        await _case_reach(scene, scene.val, case.id)


async def test_only_a_specialist_assigns(scene: Scene) -> None:
    with pytest.raises(Forbidden):
        await cases.assign(scene.relay, scene.val, scene.case_id, "vic")
    with pytest.raises(NotFound):
        await _case_reach(scene, scene.vic, scene.case_id)


# -- participants ----------------------------------------------------------------------------
async def test_a_participant_sees_their_own_item(scene: Scene) -> None:
    item_id = await scene.letter(scene.responsible)
    item, relation = await _party_reach(scene, scene.responsible, item_id)
    assert (item.id, relation) == (item_id, "sent")


@pytest.mark.parametrize("held", ["pending", "approved", "returned", "rejected"])
async def test_a_participant_cannot_see_the_other_sides_undelivered_item(
    scene: Scene, held: str
) -> None:
    await scene.set_window(scene.harmed, AFTERNOONS)  # so an approval waits
    item_id = await scene.letter(scene.responsible)
    if held != "pending":
        action = {"approved": "approve", "returned": "return", "rejected": "reject"}[held]
        await scene.decide(scene.sam, item_id, action, version=1)
    assert (await scene.item(item_id)).state == held

    with pytest.raises(NotFound):
        await _party_reach(scene, scene.harmed, item_id)
    assert item_id not in await scene.received(scene.harmed)


async def test_a_participant_sees_an_item_delivered_to_them(scene: Scene) -> None:
    item_id = await scene.delivered()
    item, relation = await _party_reach(scene, scene.harmed, item_id)
    assert (item.id, relation) == (item_id, "received")
    assert list(await scene.received(scene.harmed)) == [item_id]


async def test_a_participant_cannot_reach_another_cases_item(scene: Scene, room: Staffroom) -> None:
    other = await open_case(room)
    foreign = await other.delivered()

    with pytest.raises(NotFound):
        await _party_reach(scene, scene.harmed, foreign)
    with pytest.raises(NotFound):
        await portal.open_item(scene.relay, scene.harmed, foreign)
    with pytest.raises(NotFound):
        await _case_reach(scene, scene.harmed, other.case_id)


async def test_a_participant_is_refused_what_only_practitioners_do(scene: Scene) -> None:
    item_id = await scene.letter(scene.responsible)
    with pytest.raises(Forbidden):
        await _staff_reach(scene, scene.harmed, item_id)  # type: ignore[arg-type]
    with pytest.raises(Forbidden):
        await cases.case_detail(scene.relay, scene.harmed, scene.case_id)
    with pytest.raises(Forbidden):
        await decisions.claim(scene.relay, scene.harmed, item_id, True)


async def test_a_practitioner_is_refused_the_participants_side(scene: Scene) -> None:
    with pytest.raises(Forbidden):
        await portal.my_items(scene.relay, scene.sam)


# -- supporters ------------------------------------------------------------------------------
async def _supporter(scene: Scene) -> Party:
    return await join(scene.relay, scene.sam, scene.case_id, "supporter", "Pat", scene.harmed.id)


async def test_a_supporter_cannot_read_received_items_without_permission(scene: Scene) -> None:
    supporter = await _supporter(scene)
    item_id = await scene.delivered()

    assert await scene.received(supporter) == {}
    with pytest.raises(NotFound):
        await portal.open_item(scene.relay, supporter, item_id)
    assert (await scene.item(item_id)).recipient_state == "waiting"


async def test_a_supporter_reads_received_items_once_permission_is_recorded(scene: Scene) -> None:
    supporter = await _supporter(scene)
    item_id = await scene.delivered()

    await gates.set_supporter_access(scene.relay, scene.sam, scene.case_id, scene.harmed.id, True)

    assert list(await scene.received(supporter)) == [item_id]
    opened = await portal.open_item(scene.relay, supporter, item_id)
    assert opened["text"] == "I am sorry for what I did to you."


async def test_withdrawing_permission_hides_received_items_from_the_supporter(
    scene: Scene,
) -> None:
    supporter = await _supporter(scene)
    item_id = await scene.delivered()
    await gates.set_supporter_access(scene.relay, scene.sam, scene.case_id, scene.harmed.id, True)

    await gates.set_supporter_access(scene.relay, scene.sam, scene.case_id, scene.harmed.id, False)

    assert await scene.received(supporter) == {}
    with pytest.raises(NotFound):
        await _party_reach(scene, supporter, item_id)


async def test_a_supporter_never_reads_what_the_other_side_has_not_received(
    scene: Scene,
) -> None:
    supporter = await _supporter(scene)
    await gates.set_supporter_access(scene.relay, scene.sam, scene.case_id, scene.harmed.id, True)
    item_id = await scene.letter(scene.responsible)
    with pytest.raises(NotFound):
        await _party_reach(scene, supporter, item_id)


async def test_a_supporter_writes_on_the_principals_behalf_and_sees_only_their_own(
    scene: Scene,
) -> None:
    supporter = await _supporter(scene)
    mine = await scene.letter(supporter, "Alex asked me to write this.")
    theirs = await scene.letter(scene.harmed)

    item = await scene.item(mine)
    assert (item.author_role, item.sender_id) == ("supporter", scene.harmed.id)
    assert list(await scene.sent(supporter)) == [mine]
    assert set(await scene.sent(scene.harmed)) == {mine, theirs}
    with pytest.raises(NotFound):
        await _party_reach(scene, supporter, theirs)


async def test_a_permitted_supporter_is_notified_of_a_delivery(scene: Scene) -> None:
    await _supporter(scene)
    await gates.set_supporter_access(scene.relay, scene.sam, scene.case_id, scene.harmed.id, True)
    await scene.delivered()
    assert (await scene.notifications())["queued"] == 2  # the principal and the supporter
