"""UK postcodes and street addresses.

Postcode: a full postcode (outward + inward code) whose area is a real UK postcode area, with
any spacing, in any case, or split over a line break ("cb2\\n1tn"); also spelt out with single
spaces in capitals ("C B 1 2 A B"). An outward code alone ("CB1") is a district, not an address,
and is not reported. A lower-case ordinal ("M1 2nd exit") is not an inward code.

Address: a house number (digits, "14a", or number words up to ninety-nine) followed by one to
three words of street name and a street word (Road, Rd, Street, St, Lane, Avenue, Close, Way...),
optionally preceded by "Flat 3,"; or "number 14 on Mill Road". Words that are counts or
measures ("2 hour walk", "3 miles down Station Road", "a 2 lane road") cannot be part of a
street name. A street name without a number ("Mill Road") is not reported: it is not a
contact detail by itself, and the participants' own streets are caught from the vault.
"""

from __future__ import annotations

import re

from moderation.patterns import (
    HOUSE_NUMBER_WORDS,
    NOT_STREET_NAME,
    POSTCODE_AREAS,
    STREET_WORDS,
)

_AREAS = frozenset(area.lower() for area in POSTCODE_AREAS)
# Matched on the lower-case text; the area is checked against the real areas afterwards, which
# is much cheaper than a 124-way alternation at every position.
POSTCODE_RE = re.compile(
    r"(?<![a-z0-9])(?P<area>[a-z]{1,2})(?P<district>\d[a-z\d]?)[ \t]*\n?[ \t]*(?P<in>\d[a-z]{2})"
    r"(?![a-z0-9])"
)
# Spelt out in capitals: "C B 1 2 A B" (matched on the text in its own case).
_SPACED_POSTCODE = re.compile(
    r"(?<![A-Za-z])(?P<area>[A-Z](?: ?[A-Z])?) \d(?: [A-Z\d])? \d [A-Z] [A-Z](?![A-Za-z])"
)
_ORDINAL = re.compile(r"1st|2nd|3rd|\dth")

_NAME = rf"(?!{NOT_STREET_NAME}\b)[a-z][a-z'\-]*"
_CORE_STREET = r"(?:road|rd|street|st|lane|avenue|ave|close|drive|crescent|terrace|gardens|way)"
_ADDRESS = re.compile(
    r"(?<![a-z0-9£$€/.:,\-])"
    r"(?:(?:flat|apartment|apt|unit)\s+\d{1,4}[a-z]?\s*,?\s+)?"
    r"(?:"
    rf"\d{{1,4}}[a-z]?\s*,?\s+(?:the\s+(?:{_NAME}\s+){{0,3}}|(?:{_NAME}\s+){{1,3}}){STREET_WORDS}"
    rf"|{HOUSE_NUMBER_WORDS}\s+(?:the\s+)?(?:{_NAME}\s+){{1,3}}{_CORE_STREET}"
    rf"|(?:number|no\.?|house)\s+\d{{1,4}}[a-z]?\s+(?:on|in|of)\s+(?:the\s+)?"
    rf"(?:{_NAME}\s+){{1,3}}{STREET_WORDS}"
    r")(?![a-z])"
)


def is_postcode_area(area: str) -> bool:
    return area.replace(" ", "").lower() in _AREAS


def find_postcodes(text: str, lower: str) -> list[tuple[int, int]]:
    """Spans of full UK postcodes (`text` in its own case, `lower` the same in lower case)."""
    found = []
    for m in POSTCODE_RE.finditer(lower):
        # "M1 2nd exit" is not a postcode; "B33 8TH" is (capitals decide).
        if is_postcode_area(m.group("area")) and not _ORDINAL.fullmatch(
            text[m.start("in") : m.end()]
        ):
            found.append(m.span())
    found += [
        m.span() for m in _SPACED_POSTCODE.finditer(text) if is_postcode_area(m.group("area"))
    ]
    return found


def find_addresses(lower: str) -> list[tuple[int, int]]:
    """Spans of street addresses: house number and street."""
    return [m.span() for m in _ADDRESS.finditer(lower)]
