"""The transition tables, checked against DESIGN.md's lifecycles spelt out again here by hand.

Every pair of states is tried: the moves DESIGN allows are allowed, every other is a Conflict
(409) that says what is wrong.
"""

from __future__ import annotations

from collections.abc import Callable
from itertools import product

import pytest

from relay.domain.errors import Conflict
from relay.domain.lifecycle import case_move, item_move, recipient_move
from relay.domain.states import (
    AWAITING_DECISION,
    CASE_TRANSITIONS,
    ITEM_TRANSITIONS,
    RECIPIENT_TRANSITIONS,
    TERMINAL,
    UNDELIVERED,
    CaseStatus,
    ItemState,
    RecipientState,
)

# DESIGN: intake -> active <-> paused; active or paused -> closed; any non-terminal -> withdrawn.
CASE_MOVES = {
    ("intake", "active"),
    ("active", "paused"),
    ("paused", "active"),
    ("active", "closed"),
    ("paused", "closed"),
    ("intake", "closed"),  # a referral that never goes ahead (see relay/domain/states.py)
    ("intake", "withdrawn"),
    ("active", "withdrawn"),
    ("paused", "withdrawn"),
}
# DESIGN: pending -> approved -> delivered; pending -> countersign -> approved; pending ->
# returned -> (revised) pending; pending -> rejected; any state before delivered -> halted.
# And, as the code has always allowed, a specialist returns or rejects instead of countersigning.
ITEM_MOVES = {
    ("pending", "approved"),
    ("approved", "delivered"),
    ("pending", "countersign"),
    ("countersign", "approved"),
    ("pending", "returned"),
    ("returned", "pending"),
    ("pending", "rejected"),
    ("countersign", "returned"),
    ("countersign", "rejected"),
    ("pending", "halted"),
    ("countersign", "halted"),
    ("approved", "halted"),
    ("returned", "halted"),
}
RECIPIENT_MOVES = {("waiting", "opened"), ("waiting", "declined")}


def _table_pairs(table: dict[str, frozenset[str]]) -> set[tuple[str, str]]:
    return {(str(a), str(b)) for a, nexts in table.items() for b in nexts}


def test_the_states_are_the_strings_of_the_contract() -> None:
    assert [str(s) for s in CaseStatus] == ["intake", "active", "paused", "closed", "withdrawn"]
    assert {str(s) for s in ItemState} == {
        "pending",
        "countersign",
        "approved",
        "delivered",
        "returned",
        "rejected",
        "halted",
    }
    assert ItemState.PENDING == "pending" and "pending" in AWAITING_DECISION


def test_each_table_names_every_state_once() -> None:
    assert set(CASE_TRANSITIONS) == set(CaseStatus)
    assert set(ITEM_TRANSITIONS) == set(ItemState)
    assert set(RECIPIENT_TRANSITIONS) == set(RecipientState)


def test_the_case_table_is_designs_lifecycle() -> None:
    assert _table_pairs(CASE_TRANSITIONS) == CASE_MOVES


def test_the_item_table_is_designs_moderation_lifecycle() -> None:
    assert _table_pairs(ITEM_TRANSITIONS) == ITEM_MOVES


def test_the_recipient_table_allows_one_choice() -> None:
    assert _table_pairs(RECIPIENT_TRANSITIONS) == RECIPIENT_MOVES


def test_the_named_sets_follow_from_the_tables() -> None:
    assert {"closed", "withdrawn"} == TERMINAL
    assert {"pending", "countersign", "approved", "returned"} == UNDELIVERED


@pytest.mark.parametrize(("current", "target"), sorted(CASE_MOVES))
def test_an_allowed_case_move_is_made(current: str, target: str) -> None:
    assert case_move(current, CaseStatus(target)) == target


@pytest.mark.parametrize(
    ("current", "target"),
    sorted(set(product(map(str, CaseStatus), map(str, CaseStatus))) - CASE_MOVES),
)
def test_any_other_case_move_is_a_conflict(current: str, target: str) -> None:
    with pytest.raises(Conflict) as refused:
        case_move(current, CaseStatus(target))
    assert refused.value.status == 409 and current in refused.value.detail


@pytest.mark.parametrize(("current", "target"), sorted(ITEM_MOVES))
def test_an_allowed_item_move_is_made(current: str, target: str) -> None:
    assert item_move(current, ItemState(target)) == target


@pytest.mark.parametrize(
    ("current", "target"),
    sorted(set(product(map(str, ItemState), map(str, ItemState))) - ITEM_MOVES),
)
def test_any_other_item_move_is_a_conflict(current: str, target: str) -> None:
    with pytest.raises(Conflict) as refused:
        item_move(current, ItemState(target))
    assert refused.value.status == 409 and refused.value.detail


@pytest.mark.parametrize(("current", "target"), sorted(RECIPIENT_MOVES))
def test_an_allowed_recipient_move_is_made(current: str, target: str) -> None:
    assert recipient_move(current, RecipientState(target)) == target


@pytest.mark.parametrize(
    ("current", "target"),
    sorted(
        set(product([None, *map(str, RecipientState)], map(str, RecipientState))) - RECIPIENT_MOVES,
        key=str,
    ),
)
def test_any_other_recipient_move_is_a_conflict(current: str | None, target: str) -> None:
    with pytest.raises(Conflict):
        recipient_move(current, RecipientState(target))


MOVES: dict[str, Callable[[str | None, str], object]] = {
    "case": lambda current, target: case_move(str(current), CaseStatus(target)),
    "item": lambda current, target: item_move(str(current), ItemState(target)),
    "recipient": lambda current, target: recipient_move(current, RecipientState(target)),
}


@pytest.mark.parametrize(
    ("lifecycle", "current", "target", "message"),
    [
        ("case", "closed", "withdrawn", "The case is closed; nothing more can be recorded."),
        ("case", "withdrawn", "closed", "The case is withdrawn; nothing more can be recorded."),
        ("case", "intake", "paused", "Only an active case can be paused; this one is intake."),
        ("case", "closed", "active", "A case that is closed cannot be activated."),
        ("item", "pending", "pending", "Only a letter returned to you for changes can be revised."),
        ("item", "delivered", "returned", "An item that is delivered cannot be returned."),
        ("recipient", "declined", "opened", "You chose not to receive this letter."),
        ("recipient", "opened", "declined", "This letter has already been opened."),
    ],
)
def test_a_refusal_says_what_is_wrong(
    lifecycle: str, current: str, target: str, message: str
) -> None:
    with pytest.raises(Conflict) as refused:
        MOVES[lifecycle](current, target)
    assert refused.value.detail.startswith(message)
