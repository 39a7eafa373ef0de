"""UK postcodes and street addresses.

Postcode: a full postcode (outward + inward code) whose area is a real UK postcode area, with
any spacing, in any case, or split over a line break ("cb2\\n1tn"); also spelt out with single
spaces in capitals ("C B 1 2 A B"). An outward code alone ("CB1") is a district, not an address,
and is not reported. A lower-case ordinal ("M1 2nd exit") is not an inward code.

Address: a house number (digits, "14a", or number words up to ninety-nine) followed by one to
three words of street name and a street word (Road, Rd, Street, St, Lane, Avenue, Close, Way...),
optionally preceded by "Flat 3,"; or "number 14 on Mill Road"; or the number after the street,
"the Arbury estate, number 42". Words that are counts or
measures ("2 hour walk", "3 miles down Station Road", "a 2 lane road") cannot be part of a
street name. A street name without a number ("Mill Road") is not reported: it is not a
contact detail by itself, and the participants' own streets are caught from the vault.
"""

from __future__ import annotations

import re

from moderation.normalise import ascii_words
from moderation.patterns import (
    HOUSE_NUMBER_WORDS,
    NOT_STREET_NAME,
    NUMBER_WORDS_1_19,
    NUMBER_WORDS_TENS,
    POSTCODE_AREAS,
    STREET_WORDS,
    alternatives,
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
# Necessary conditions, checked first because the patterns above are tried at every position:
# every match of POSTCODE_RE ends with its district digit, optional second character, spacing and
# inward code, and every match of _SPACED_POSTCODE ends with "digit space capital space capital".
#   \d[a-z\d]?[ \t]*\n?[ \t]*\d[a-z]{2}(?![a-z0-9])   and   \d [A-Z] [A-Z](?![A-Za-z])
# The same two tests on the *shape* of the text (`_SHAPES`: every digit "9", every letter "a" or
# "A", space, tab and newline kept, anything else "."), where they start with a literal "9"
# that the regex engine finds fast. They are the same tests because in normalised text every
# decimal digit is an ASCII digit (`moderation.normalise`), so \d is [0-9].
_POSTCODE_TAIL_SHAPE = re.compile(rb"9[a9]?[ \t]*\n?[ \t]*9aa(?![a9])")
_SPACED_POSTCODE_TAIL_SHAPE = re.compile(rb"9 A A(?![Aa])")
_SHAPES = bytearray(b"." * 256)
_SHAPES[ord("0") : ord("9") + 1] = b"9" * 10
_SHAPES[ord("a") : ord("z") + 1] = b"a" * 26
_SHAPES[ord("A") : ord("Z") + 1] = b"A" * 26
for _keep in b" \t\n":
    _SHAPES[_keep] = _keep
_ORDINAL = re.compile(r"1st|2nd|3rd|\dth")

_NAME = rf"(?!{NOT_STREET_NAME}\b)[a-z][a-z'\-]*"
_ADDRESS_BEFORE = r"[a-z0-9£$€/.:,\-]"  # not allowed just before an address
_CORE_STREET = r"(?:road|rd|street|st|lane|avenue|ave|close|drive|crescent|terrace|gardens|way)"
_ADDRESS = re.compile(
    rf"(?<!{_ADDRESS_BEFORE})"
    r"(?:(?:flat|apartment|apt|unit)\s+\d{1,4}[a-z]?\s*,?\s+)?"
    r"(?:"
    rf"\d{{1,4}}[a-z]?\s*,?\s+(?:the\s+(?:{_NAME}\s+){{0,3}}|(?:{_NAME}\s+){{1,3}}){STREET_WORDS}"
    rf"|{HOUSE_NUMBER_WORDS}\s+(?:the\s+)?(?:{_NAME}\s+){{1,3}}{_CORE_STREET}"
    rf"|(?:number|no\.?|house)\s+\d{{1,4}}[a-z]?\s+(?:on|in|of)\s+(?:the\s+)?"
    rf"(?:{_NAME}\s+){{1,3}}{STREET_WORDS}"
    r")(?![a-z])"
)

# The number after the street: "the Arbury estate, number 42", "Mill Road, no. 14". Found from
# the number ("number 42", which is rare in letters) backwards to the street before it.
# One pattern per word, each starting with its literal, which the regex engine finds fast (an
# alternation of the three is tried at every position); "no" also matches inside "piano", so a
# match counts only with no letter just before it.
_HOUSE_NUMBER = r"\s+\d{1,4}[a-z]?(?![a-z0-9])"
_NUMBER_AFTER = (
    (b"number", re.compile("number" + _HOUSE_NUMBER)),
    (b"no", re.compile(r"no\.?" + _HOUSE_NUMBER)),
    (b"house", re.compile("house" + _HOUSE_NUMBER)),
)
_STREET_BEFORE = re.compile(rf"(?<![a-z])(?:the\s+)?(?:{_NAME}\s+){{1,3}}{STREET_WORDS}\s*,?\s+$")
_BEFORE_REACH = 80  # characters before "number": room for three words of name and a street


# Where an address can start (see `find_addresses`): a digit with nothing from _ADDRESS_BEFORE
# (a space in `_BEFORE_SHAPES`; non-ASCII characters count as spaces, so "£5" is tried too)
# in front, or one of these words; and the street words, one of which every address ends with.
_BEFORE_SHAPES = bytearray(b" " * 256)
_BEFORE_SHAPES[ord("0") : ord("9") + 1] = b"9" * 10
for _before in b"abcdefghijklmnopqrstuvwxyz$/.:,-":
    _BEFORE_SHAPES[_before] = ord("x")
_DIGIT_START = re.compile(rb" 9")
_START_WORDS = frozenset(
    word.encode()
    for word in [
        "flat",
        "apartment",
        "apt",
        "unit",
        "number",
        "no",
        "house",
        *alternatives(NUMBER_WORDS_1_19),
        *alternatives(NUMBER_WORDS_TENS),
    ]
)
_STREET_WORDS = frozenset(word.encode() for word in alternatives(STREET_WORDS))


def _shape(text: str) -> bytes:
    """Non-ASCII characters become "?" first, then "." like any other punctuation."""
    return text.encode("ascii", "replace").translate(_SHAPES)


def is_postcode_area(area: str) -> bool:
    return area.replace(" ", "").lower() in _AREAS


def find_postcodes(text: str, lower: str) -> list[tuple[int, int]]:
    """Spans of full UK postcodes (`text` in its own case, `lower` the same in lower case)."""
    found: list[tuple[int, int]] = []
    if _POSTCODE_TAIL_SHAPE.search(_shape(lower)) is not None:
        for m in POSTCODE_RE.finditer(lower):
            # "M1 2nd exit" is not a postcode; "B33 8TH" is (capitals decide).
            if is_postcode_area(m.group("area")) and not _ORDINAL.fullmatch(
                text[m.start("in") : m.end()]
            ):
                found.append(m.span())
    if _SPACED_POSTCODE_TAIL_SHAPE.search(_shape(text)) is not None:
        found += [
            m.span() for m in _SPACED_POSTCODE.finditer(text) if is_postcode_area(m.group("area"))
        ]
    return found


def find_addresses(lower: str) -> list[tuple[int, int]]:
    """Spans of street addresses: house number and street, in either order."""
    found = _number_first(lower)
    if found is not None:
        found += _numbers_after_streets(lower, found)
    return sorted(found or [])


def _number_first(lower: str) -> list[tuple[int, int]] | None:
    """Spans of "14 Mill Road" and the like; None if the text has no street word at all.

    The same spans as `_ADDRESS.finditer(lower)`, which would try the pattern at every position;
    it is tried only where a match can start, in order, each search going on from the end of the
    last match as `finditer` does. A match starts with a digit or with one of `_START_WORDS` as
    a whole word (the pattern has no letter before it and a space, "-" or "." after it), and its
    street word is a whole word too (a space before it, no letter after it), so a text without
    any street word has no address at all. (Digits are ASCII digits in normalised text.)
    """
    words = ascii_words(lower)
    if _STREET_WORDS.isdisjoint(words):
        return None
    shape = b" " + lower.encode("ascii", "replace").translate(_BEFORE_SHAPES)
    starts = {m.start() for m in _DIGIT_START.finditer(shape)}  # (shape[i + 1] is lower[i])
    for word in _START_WORDS & words:
        at = lower.find(word_text := word.decode())
        while at >= 0:
            starts.add(at)
            at = lower.find(word_text, at + 1)
    found: list[tuple[int, int]] = []
    searched_to = 0
    for start in sorted(starts):
        if start >= searched_to and (m := _ADDRESS.match(lower, start)) is not None:
            found.append(m.span())
            searched_to = m.end()
    return found


def _numbers_after_streets(lower: str, found: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """Spans of "Arbury estate, number 42": a street, then its house number, not yet in `found`."""
    spans: list[tuple[int, int]] = []
    words = ascii_words(lower)
    numbers = [
        m.span()
        for word, pattern in _NUMBER_AFTER
        if word in words
        for m in pattern.finditer(lower)
        if m.start() == 0 or not "a" <= lower[m.start() - 1] <= "z"
    ]
    for start, end in numbers:
        if any(s < end and start < e for s, e in found):
            continue
        street = _STREET_BEFORE.search(lower, max(0, start - _BEFORE_REACH), start)
        if street is not None:
            spans.append((street.start(), end))
    return spans
