"""The detectors' shortcuts find exactly what the plain patterns find.

Each detector skips work it can prove useless: a rule whose anchor words are not in the text,
a scan tried only where a match can start, a gate tested on a cheaper copy of the text. Each
shortcut is checked here against the plain version it replaces, on generated text that mixes
the words the rules look for with digits, punctuation, odd spacing and non-ASCII characters.
"""

from __future__ import annotations

import re

from hypothesis import given, settings
from hypothesis import strategies as st

from moderation import online, phones, places, risk
from moderation.normalise import normalise
from moderation.patterns import words

WORDS = sorted(
    words("""
i you u your ya we i'll you'll we'll ill well will shall i'm im am going gonna to not don't
dont can't cant won't isn't ain't i've ive never hope regret regrets be sorry pay payment hurt
hurting kill end ending friend find get do sort deal with come coming for make suffer watch
back yourself dead finished it this that over better best or else snitches get keep mouth
shut drop the charges know where live which school address number new found have got been
watching drove walk past house saw see outside meet me up and visit round mine let's lets us
talk chat without them facilitator tell anyone just between contact call text directly
privately when wait waiting off record want plan ready all my life myself cut harm take no
reason point nothing left wish die wanna off carry on anymore any more self self-harm suicide
suicidal overdose here around longer wake flat no. house one two three twelve twenty forty-one
road rd street st lane close way park walk the mill station elm 14 14a 3 2nd 12 100 2019
insta instagram snap snapchat tik tok tiktok whats app whatsapp xbox live fb signal find me
on at @ dot com co uk www http:// bit.ly/x j.smith gmail -dot- (dot) cb24 9ad CB24 9AD
SW1A 1AA C B 1 2 A B oh o zero nought double treble hundred 07700 900 123 o77oo
""")
)
# Phrases each rule is written for, and near misses, so generated text often matches.
PHRASES = [
    "you'll regret",
    "you will be sorry",
    "you're going to pay",
    "your family will regrets",
    "i will hurt",
    "i'll end",
    "i'm gonna kill",
    "we'll destroy",
    "i am going to ending",
    "i'll find you",
    "we will deal with u",
    "i'm going to get even with ya",
    "gonna make you pay",
    "watch your back",
    "watch yourself",
    "you're dead",
    "you are going to get it",
    "coming for you",
    "pay for this",
    "sleep with one eye open",
    "you won't get away with",
    "u will not see it coming",
    "this isn't over",
    "better watch out",
    "or else!",
    "or else",
    "snitches get",
    "keep ur mouth shut",
    "drop the charges",
    "i know where you live",
    "i know where your kids go",
    "i know which school",
    "i've got your new address",
    "ive been watching you",
    "i drove past your house",
    "i saw you outside",
    "meet me",
    "meet up",
    "come and see me",
    "come round to mine",
    "come to my flat",
    "let's talk without them",
    "we could sort it out on our own",
    "lets meet in private",
    "without the facilitator knowing",
    "don't tell anyone",
    "do not tell the police",
    "just between us",
    "text me directly",
    "write to me privately",
    "where can i see you",
    "i'll be waiting",
    "waiting for you outside",
    "see you outside",
    "off the record",
    "want to end it all",
    "end it all",
    "killing myself",
    "hurting myself",
    "end my own life",
    "no reason to live",
    "nothing left to live for",
    "wish i was dead",
    "wanna die",
    "better off without me",
    "can't go on",
    "cant take it any more",
    "self harm",
    "self-harm",
    "selfharm",
    "suicidal",
    "overdose",
    "not be here much longer",
    "don't want to wake up",
    "i would never hurt you",
    "i hope you'll regret nothing",
]
SEPARATORS = [" ", " ", " ", "  ", "\n", ", ", ". ", "-", "'", "", "/", "\t", "\u00a0", "£", "é"]


@st.composite
def texts(draw: st.DrawFn) -> str:
    parts = draw(
        st.lists(st.sampled_from(WORDS) | st.sampled_from(PHRASES), min_size=1, max_size=25)
    )
    out = [parts[0]]
    for part in parts[1:]:
        out.append(draw(st.sampled_from(SEPARATORS)))
        out.append(part)
    return "".join(out)


any_text = st.one_of(texts(), st.text(alphabet="ab o07 9.@-'\n\u00e9\u0660", max_size=40))


def _plain_matches(rules: list[risk._Rule], lower: str) -> set[tuple[int, int]]:
    """`risk._matches` without the anchors."""
    found: set[tuple[int, int]] = set()
    for triggers, _anchors, pattern in rules:
        for trigger in triggers:
            at = lower.find(trigger)
            while at >= 0:
                window = (max(0, at - risk._WINDOW), at + len(trigger) + risk._WINDOW)
                found.update(m.span() for m in pattern.finditer(lower, *window))
                at = lower.find(trigger, at + 1)
    return found


@settings(max_examples=600, deadline=None)
@given(texts())
def test_risk_anchors_skip_only_rules_that_cannot_match(text: str) -> None:
    lower = normalise(text).lower
    for rules in (risk._GUARDED, risk._UNGUARDED):
        assert risk._matches(rules, lower) == _plain_matches(rules, lower)


@settings(max_examples=300, deadline=None)
@given(any_text)
def test_addresses_are_the_plain_scan(text: str) -> None:
    lower = normalise(text).lower
    plain = [m.span() for m in places._ADDRESS.finditer(lower)]
    assert (places._number_first(lower) or []) == plain


@settings(max_examples=300, deadline=None)
@given(any_text)
def test_platforms_are_the_plain_scan(text: str) -> None:
    lower = normalise(text).lower
    assert [m.span() for m in online._platforms(lower)] == [
        m.span() for m in online._PLATFORM.finditer(lower)
    ]


@settings(max_examples=300, deadline=None)
@given(any_text)
def test_postcode_gates_on_the_shape_are_the_plain_gates(text: str) -> None:
    norm = normalise(text)
    tail = re.compile(r"\d[a-z\d]?[ \t]*\n?[ \t]*\d[a-z]{2}(?![a-z0-9])")
    spaced_tail = re.compile(r"\d [A-Z] [A-Z](?![A-Za-z])")
    shape = places._POSTCODE_TAIL_SHAPE.search(places._shape(norm.lower))
    assert (shape is None) == (tail.search(norm.lower) is None)
    shape = places._SPACED_POSTCODE_TAIL_SHAPE.search(places._shape(norm.text))
    assert (shape is None) == (spaced_tail.search(norm.text) is None)


@settings(max_examples=300, deadline=None)
@given(any_text)
def test_number_words_are_the_filtered_alternation(text: str) -> None:
    lower = normalise(text).lower
    words = [*phones._DIGIT_WORDS, *phones._MULTIPLIERS, *phones._SCALES]
    alternation = re.compile("|".join(sorted(words, key=len, reverse=True)))
    expected = [
        (m.start(), m.end(), "word")
        for m in alternation.finditer(lower)
        if not (m.start() > 0 and lower[m.start() - 1].isalnum())
        and not (m.end() < len(lower) and (lower[m.end()].isalnum() or lower[m.end()] == "'"))
    ]
    assert sorted(phones._number_words(lower)) == expected


@settings(max_examples=300, deadline=None)
@given(any_text)
def test_rewritten_url_and_email_patterns_match_the_same(text: str) -> None:
    lower = normalise(text).lower
    at = re.compile(
        rf"@|{online._OPEN}\s{{0,3}}(?:at|@)\s{{0,3}}{online._CLOSE}|-at-|_at_|(?<=\s)at(?=\s)"
    )
    assert [m.span() for m in online._AT.finditer(lower)] == [m.span() for m in at.finditer(lower)]
    dot_gate = re.compile(r"[a-z0-9]\.[a-z]|\sdot\s|[\(\[\{<]dot|-dot-|\s\.\s")
    assert (online._DOT_GATE.search(lower) is None) == (dot_gate.search(lower) is None)
    bare_url = re.compile(online._BARE_URL.pattern.replace(online._FIRST_DOT, "", 1))
    assert [m.span() for m in online._BARE_URL.finditer(lower)] == [
        m.span() for m in bare_url.finditer(lower)
    ]
