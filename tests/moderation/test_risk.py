"""Risk phrases: threats, knowing where someone lives, meeting outside the process, self-harm."""

from __future__ import annotations

from itertools import pairwise

import pytest

from moderation import find_risk_phrases


def risks(text: str) -> list[str]:
    findings = find_risk_phrases(text)
    assert all(f.kind == "risk" for f in findings)
    return [text[f.start : f.end] for f in findings]


def test_youll_regret_is_a_threat() -> None:
    assert risks("You'll regret this.") == ["You'll regret"]


def test_youll_regret_with_curly_apostrophe_is_a_threat() -> None:
    assert risks("You\u2019ll regret this.") == ["You\u2019ll regret"]


def test_i_will_hurt_is_a_threat() -> None:
    assert risks("If you say that again I will hurt you.") == ["I will hurt"]


def test_watch_your_back_is_a_threat() -> None:
    assert risks("Watch your back.") == ["Watch your back"]


def test_i_know_where_you_live_is_flagged() -> None:
    assert risks("Don't forget, I know where you live.") == ["I know where you live"]


def test_driving_past_their_house_is_flagged() -> None:
    assert risks("I drove past your house last week.") == ["I drove past your house"]


def test_meet_me_is_pressure_to_meet() -> None:
    assert risks("Meet me at the park on Sunday.") == ["Meet me"]


def test_come_and_see_me_is_pressure_to_meet() -> None:
    assert risks("Come and see me when you're out.") == ["Come and see me"]


def test_lets_talk_without_them_is_pressure_to_meet() -> None:
    assert risks("Let's talk without them, just us.") == ["Let's talk without them"]


def test_dont_tell_the_facilitator_is_flagged() -> None:
    assert risks("Don't tell the facilitator about this.") == ["Don't tell the facilitator"]


def test_i_want_to_end_it_is_a_self_harm_signal() -> None:
    assert risks("Some days I want to end it.") == ["want to end it"]


def test_kill_myself_is_a_self_harm_signal() -> None:
    assert risks("I thought about how I'd kill myself.") == ["kill myself"]


@pytest.mark.parametrize(
    ("text", "found"),
    [
        ("Everyone would be better off without me.", "better off without me"),
        ("I think they are better off without me now", "better off without me"),
        ("My kids would be better off dead than stuck with me", "better off dead"),
    ],
)
def test_better_off_without_me_is_a_self_harm_signal(text: str, found: str) -> None:
    # Its trigger words were only "dead" and "die", so "without me" could never fire.
    assert risks(text) == [found]


def test_better_off_without_something_else_is_not_risk() -> None:
    assert risks("I am better off without the drink these days.") == []


def test_no_reason_to_live_is_a_self_harm_signal() -> None:
    assert risks("There's no reason to live now.") == ["no reason to live"]


def test_negated_self_harm_is_still_flagged() -> None:
    assert risks("I don't want to kill myself any more.") == ["kill myself"]


def test_invitation_to_come_round_is_pressure_to_meet() -> None:
    assert risks("You could come round sometime, just us.") == ["come round sometime"]


def test_or_else_ending_a_sentence_is_a_threat() -> None:
    assert risks("Drop it, or else!") == ["or else"]


@pytest.mark.parametrize(
    "text",
    [
        "We could write, or else meet in the conference with the facilitator.",
        "I don't know what had come over me that night.",
        "I would never hurt you again.",
        "I know I hurt you and I am sorry.",
        "I don't think you'll regret meeting with the facilitator.",
        "I hope we can meet in the conference if you want to.",
        "I will never come and see you, I promise.",
        "I know where I went wrong.",
        "I was 17 and stupid. I live with that every day.",
        "Thank you for reading this. Take care of yourself.",
    ],
)
def test_apologies_are_not_risk(text: str) -> None:
    assert risks(text) == []


def test_findings_are_sorted_and_do_not_overlap() -> None:
    text = "Meet me. You'll regret it. I know where you live. I want to end it all."
    findings = find_risk_phrases(text)
    assert findings == sorted(findings)
    assert all(a.end <= b.start for a, b in pairwise(findings))
    assert len(findings) == 4
