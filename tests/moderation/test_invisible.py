"""Invisible code points never hide a contact detail (issue 14).

Senders can put characters that show nothing (or only restyle the character before them)
between the characters of a detail: zero-width spaces and joiners, the soft hyphen, bidi
controls, variation selectors, the combining grapheme joiner, NUL, combining accents. The
normalised copy drops them all (`moderation.normalise`), and findings are still offsets into
the text as written, covering the whole disguised span. Ordinary text that uses such characters
(emoji with U+FE0F, names with combining accents) gains no finding from them.
"""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from moderation import find_contact_details, find_risk_phrases
from moderation.normalise import normalise

INVISIBLES = [
    "\u034f",  # combining grapheme joiner
    "\ufe0f",  # variation selector-16
    "\ufe00",  # variation selector-1
    "\u17b4",  # Khmer vowel inherent aq
    "\x00",  # NUL
    "\x1b",  # escape
    "\x7f",  # delete
    "\u200b",  # zero-width space
    "\u200c",  # zero-width non-joiner
    "\u200d",  # zero-width joiner
    "\u2060",  # word joiner
    "\ufeff",  # zero-width no-break space
    "\u00ad",  # soft hyphen
    "\u202a",  # left-to-right embedding
    "\u202b",  # right-to-left embedding
    "\u202c",  # pop directional formatting
    "\u202d",  # left-to-right override
    "\u202e",  # right-to-left override
    "\u2066",  # left-to-right isolate
    "\u2067",  # right-to-left isolate
    "\u2068",  # first strong isolate
    "\u2069",  # pop directional isolate
    "\u0301",  # combining acute accent (Mn)
    "\u20e3",  # combining enclosing keycap (Me)
    "\u3164",  # Hangul filler (default-ignorable, category Lo)
    "\U000e0041",  # tag latin capital letter a
]
INVISIBLE_SET = frozenset(INVISIBLES)

# (kind expected, detail as the sender means it, the case's vault)
DETAILS = [
    ("phone", "07700 900123", ()),
    ("phone", "+44 7700 900123", ()),
    ("email", "jo.smith@gmail.com", ()),
    ("postcode", "CB24 9AD", ()),
    ("address", "14 Mill Road", ()),
    ("known", "Sarah Whitfield", ("Sarah Whitfield",)),
    ("known", "sam.reed@example.org", ("sam.reed@example.org",)),
    ("known", "07700 900258", ("07700 900258",)),
]


def visible(text: str) -> str:
    return "".join(c for c in text if c not in INVISIBLE_SET)


def found(text: str, known: tuple[str, ...] = ()) -> list[tuple[str, str]]:
    """(kind, text without invisible characters) of each finding."""
    return [(f.kind, visible(text[f.start : f.end])) for f in find_contact_details(text, known)]


@pytest.mark.parametrize("invisible", INVISIBLES, ids=lambda c: f"U+{ord(c):04X}")
@pytest.mark.parametrize(("kind", "detail", "known"), DETAILS, ids=lambda v: str(v)[:20])
@pytest.mark.parametrize("where", ["between-every-character", "in-the-middle"])
def test_a_detail_split_by_invisible_characters_is_found(
    invisible: str, kind: str, detail: str, known: tuple[str, ...], where: str
) -> None:
    if where == "in-the-middle":
        middle = len(detail) // 2
        disguised = detail[:middle] + invisible * 3 + detail[middle:]
    else:
        disguised = invisible.join(detail)
    text = f"Thank you for reading. Here it is: {disguised} if you want."
    start, end = text.index(disguised), text.index(disguised) + len(disguised)
    findings = [f for f in find_contact_details(text, known) if f.kind == kind]
    assert findings, f"{kind} {detail!r} hidden with U+{ord(invisible):04X} was not found"
    # One finding covers the whole disguised span, invisible characters included.
    assert any(f.start <= start and end <= f.end for f in findings), findings
    assert any(detail in visible(text[f.start : f.end]) for f in findings)
    # And it is what the same letter without the invisible characters gives.
    assert found(text, known) == found(visible(text), known)


def test_compatibility_forms_are_folded() -> None:
    text = (
        "ring \U0001d7ce\U0001d7d5\U0001d7d5\U0001d7ce\U0001d7ce \U0001d7d7\U0001d7ce\U0001d7ce123"
    )
    text += " or \uff10\uff17\uff17\uff10\uff10\uff19\uff10\uff10\uff14\uff15\uff16"
    text += " or \U0001d423\U0001d428@\U0001d420\U0001d426\U0001d41a\U0001d422\U0001d425.com"
    findings = find_contact_details(text)
    assert [(f.kind, text[f.start : f.end]) for f in findings] == [
        (
            "phone",
            "\U0001d7ce\U0001d7d5\U0001d7d5\U0001d7ce\U0001d7ce \U0001d7d7\U0001d7ce\U0001d7ce123",
        ),
        ("phone", "\uff10\uff17\uff17\uff10\uff10\uff19\uff10\uff10\uff14\uff15\uff16"),
        ("email", "\U0001d423\U0001d428@\U0001d420\U0001d426\U0001d41a\U0001d422\U0001d425.com"),
    ]


def test_a_vault_value_typed_with_invisible_characters_still_matches() -> None:
    text = "I think of Sarah Whitfield every day."
    assert found(text, ("Sarah\u200b Whitfi\u0301eld",)) == [("known", "Sarah Whitfield")]


CLEAN_LETTER = (
    "Dear Zoe\u0301, I am so sorry \u2764\ufe0f for what I did. Chloe\u0308 and Rene\u0301e "
    "told me about the cafe\u0301 on the 2\ufe0f\u20e3nd floor. "
    "I was 17 at the time \U0001f64f\ufe0f. "
    "I have 2 children now \U0001f468\u200d\U0001f469\u200d\U0001f467 and my "
    "\u202bhope\u202c is that one day you feel safe. Jose\u0301 says hello.\x00"
)


@pytest.mark.parametrize("known", [(), ("Sam Reed", "07700 900258", "jo.smith@gmail.com")])
def test_a_clean_letter_with_invisible_characters_gives_no_finding(
    known: tuple[str, ...],
) -> None:
    assert find_contact_details(CLEAN_LETTER, known) == []
    assert find_risk_phrases(CLEAN_LETTER) == []


@pytest.mark.parametrize("invisible", INVISIBLES, ids=lambda c: f"U+{ord(c):04X}")
def test_invisible_characters_inside_ordinary_words_add_no_finding(invisible: str) -> None:
    plain = (
        "Dear Sarah, I am so sorry for the 3 years of worry. I was 17 at the time and I "
        "served 18 months. My mum cried when she read your statement. See you on 12/03/2024."
    )
    hidden = " ".join(
        word[: len(word) // 2] + invisible + word[len(word) // 2 :] for word in plain.split(" ")
    )
    known = ("Sarah Whitfield", "07700 900258")
    assert found(hidden, known) == found(plain, known)
    assert [visible(hidden[f.start : f.end]) for f in find_risk_phrases(hidden)] == [
        plain[f.start : f.end] for f in find_risk_phrases(plain)
    ]


def test_the_normalised_copy_keeps_no_invisible_character_and_maps_back_exactly() -> None:
    text = "a\u200bb\u0301c\x00d\ufe0f\U000e0041e \uff10\U0001d7d7\t\n"
    norm = normalise(text)
    assert norm.text == "abcde 09\t\n"
    assert norm.origin is not None
    assert [text[i] for i in norm.origin] == list("abcde \uff10\U0001d7d7\t\n")
    assert normalise("plain\x00ascii").text == "plainascii"


PHONES = [
    "07700 900123",
    "07700900123",
    "+44 7700 900123",
    "+44 (0)7700-900123",
    "0 7 7 0 0 9 0 0 1 2 3",
    "07700\n900\n123",
    "oh seven seven double oh nine double oh one two three",
]


@settings(max_examples=300, deadline=None)
@given(
    st.sampled_from(PHONES),
    st.lists(st.tuples(st.integers(min_value=1), st.sampled_from(INVISIBLES)), max_size=12),
)
def test_invisible_characters_anywhere_inside_a_phone_never_lose_it(
    phone: str, insertions: list[tuple[int, str]]
) -> None:
    hidden = phone
    for at, invisible in insertions:
        at = 1 + at % (len(hidden) - 1)  # strictly inside the number
        hidden = hidden[:at] + invisible + hidden[at:]
    text = f"If you want to talk, {hidden} is my number."
    start = text.index(hidden)
    end = start + len(hidden)
    findings = find_contact_details(text)
    assert any(f.kind == "phone" and f.start <= start and end <= f.end for f in findings), findings
    assert found(text) == found(f"If you want to talk, {phone} is my number.")
