"""Issue 14: UK phone numbers in disguise (letters for digits, number words mixed with digits,
fillers, line breaks, slashes and dots), with offsets into the original text."""

from __future__ import annotations

import pytest

from moderation import find_contact_details


def _phones(text: str) -> list[str]:
    return [text[f.start : f.end] for f in find_contact_details(text) if f.kind == "phone"]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # letters for digits inside digit groups
        ("Call O77OO 9OO 123 tonight", ["O77OO 9OO 123"]),
        ("my mobile 07700 9l2 345 x", ["07700 9l2 345"]),
        ("it's O77OO 9OO l23", ["O77OO 9OO l23"]),
        ("ring 07700 9I2 345", ["07700 9I2 345"]),
        ("ring 07700 9|2 345", ["07700 9|2 345"]),
        ("ring 07700 9S0 123", ["07700 9S0 123"]),
        ("ring 07700 9s0 123", ["07700 9s0 123"]),
        ("ring 07B00 900 123", ["07B00 900 123"]),
        ("ring 07700 9Z0 123", ["07700 9Z0 123"]),
        ("07700900l23 is me", ["07700900l23"]),
        # number words mixed with digits, double/triple
        ("07 seven 00 900 one two three", ["07 seven 00 900 one two three"]),
        ("oh seven seven double oh nine double oh one two three", None),
        ("0 7 seven 0 0 9 triple 0 1 2 ok", ["0 7 seven 0 0 9 triple 0 1 2"]),
        ("077 double 0 900 one 2 3", ["077 double 0 900 one 2 3"]),
        # line breaks, slashes, dots
        ("call\n07700\n900\n123\nthanks", ["07700\n900\n123"]),
        ("07700/900/123", ["07700/900/123"]),
        ("try 0161/496/0123 at work", ["0161/496/0123"]),
        ("07700.900.123.", ["07700.900.123"]),
        # fillers inside the number: each part is reported, the filler is not
        ("0781 \u2013 honestly \u2013 334 90 12", ["0781", "334 90 12"]),
        ("07700, um, 900 123", ["07700", "900 123"]),
        ("07700 900 - I mean - 123", ["07700 900", "123"]),
    ],
)
def test_disguised_phone_is_found(text: str, expected: list[str] | None) -> None:
    assert _phones(text) == (expected if expected is not None else [text])


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # invisible characters and look-alike letters from other scripts shift the offsets
        ("Ring 07700\u200b9l2\u200b345 now", "07700\u200b9l2\u200b345"),
        (
            "Ring \u041e77\u041e\u041e 9\u041e\u041e l23 now",
            "\u041e77\u041e\u041e 9\u041e\u041e l23",
        ),
        ("\u00e9\u00e9 07700/900/123", "07700/900/123"),
        # (widened to whole words: "-" joins words)
        ("\u2728 0781\u2014honestly\u2014334 90 12", "0781\u2014honestly\u2014334 90 12"),
    ],
)
def test_offsets_index_the_original_text(text: str, expected: str) -> None:
    findings = [f for f in find_contact_details(text) if f.kind == "phone"]
    assert findings
    first = findings[0]
    assert text[first.start : first.end] == expected


@pytest.mark.parametrize(
    "text",
    [
        "It cost £1,200.50 in the end.",
        "The hearing is on 12/03/2025 at 10.30.",
        "Hearing 12/03/2025 10.30 room 4",
        "Your case reference is CR/20431/25.",
        "case CR/20431/25 listed 07/2025",
        "He moved in 1998, then 2004 and 2019.",
        "between 2019/2020 and 2020/2021",
        "Update to version 3.10.12 or v1.2.3 first.",
        "Python 3.11.4, node 20.11.1, build 1.0.0.1234",
        "SOLO BOIL Zoo OSLO SOS LOL ISLE BLISS",
        "I was solo, I said so. Oslo is lovely. Boil the kettle.",
        "we ordered B2B, 5l of milk and a 1l bottle",
        "the 1990s and 2000s were hard, sorry",
        "I5 and M25 and A1(M) were closed",
        "Is 9 ok? I had 2 slices, 3 biscuits and 1 tea",
        "Room 101 | Room 102 | Room 103",
        "page 12 of 45, paragraph 3.2.1",
        "ISBN 978-0-14-044913-6",
        "£450 per month, 12 months, 5,400 in total",
        "from 9.30 to 10.45 and 14:00 - 15:30",
        "that was in 2019, honestly, 2020 at the latest",
    ],
)
def test_hard_negative_has_no_phone(text: str) -> None:
    assert _phones(text) == []
