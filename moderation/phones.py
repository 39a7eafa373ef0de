"""Phone numbers in any disguise, found by reading the text as runs of digits.

All functions take the normalised text in lower case.

A *digit token* is a group of digits ("07700", letter O counted as zero inside a group: "9OO"),
or a digit word: zero/oh/o/nought/nil, one..nine; "double"/"treble"/"triple" repeat the next
digit; "hundred"/"thousand" after a digit add "00"/"000". Tokens separated only by spaces,
line breaks and light punctuation (- . , ( ) [ ] _ * ~ | > + ') form a *run*, so "07700\n900\n123",
"0 7 7 0 0 - 9 0 0" and "oh seven seven double oh nine..." all read as one digit string.

A phone is a stretch of a run that starts and ends on token boundaries and has a phone shape:
GB national (0[1235789] + 9-10 digits), GB without the trunk zero (7[1-9] + 8 digits),
international (+ or 00, checked with `phonenumbers.is_possible_number`) or 44-prefixed.
Dates, times, money and percentages are masked out first, and a non-mobile shape right after
"ref"/"crime number"/"order no." is taken for a reference, not a phone. Part of a number (three
digits or more) is reported too when a phone cue comes just before it: "my number ends 900 654",
"the last four digits are 0258", "text me on 0770 9".

We do not use `phonenumbers.PhoneNumberMatcher`: with default leniency it skips unallocated
ranges such as 07700 900xxx, and it costs ~0.6 ms per 400 characters.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from collections.abc import Sequence
from typing import NamedTuple

import phonenumbers

from moderation.normalise import ascii_words

_DIGIT_WORDS = {
    "zero": "0",
    "oh": "0",
    "o": "0",
    "nought": "0",
    "nil": "0",
    "one": "1",
    "two": "2",
    "three": "3",
    "four": "4",
    "five": "5",
    "six": "6",
    "seven": "7",
    "eight": "8",
    "nine": "9",
}
_MULTIPLIERS = {"double": 2, "treble": 3, "triple": 3}
_SCALES = {"hundred": "00", "thousand": "000"}

# Digit groups start with a digit (a fast scan); letter O's in front ("o77oo") are taken in
# afterwards. Number words are found with str.find (see `_number_words`).
_NUM = re.compile(r"[0-9][0-9o]*")
# Letters drawn like digits, read as digits inside a digit group (see `_lookalike_group`).
_LOOKALIKE_DIGITS = str.maketrans("olisbz|", "0115821")
_LOOKALIKE_OR_DIGIT = frozenset("0123456789olisbz|")
_LOOKALIKE_CASED = frozenset("lI|SsBZ")
_ZEROISH = frozenset("0123456789oO")
_NUMBER_WORDS = frozenset(word.encode() for word in (*_DIGIT_WORDS, *_MULTIPLIERS, *_SCALES))
_GAP_CHARS = frozenset(" \t\r\n-.,()[]_*~|>+'")
_MAX_GAP = 8

# Spans whose digits are never part of a phone number.
_MASKS = re.compile(
    r"(?<![\d/.\-])\d{1,2}[/.\-]\d{1,2}[/.\-](?:\d{4}|\d{2})(?![\d/\-]|\.\d)"  # 12/03/2024
    r"|(?<![\d\-])\d{4}-\d{2}-\d{2}(?![\d\-])"  # 2023-11-05
    r"|(?<![\d\-])97[89]-\d{1,5}-\d{1,7}-\d{1,7}-\d(?![\d\-])"  # ISBN 978-0-14-044913-6
    r"|(?<![\d.:])(?:[01]?\d|2[0-3])[:.][0-5]\d(?![\d:]|\.\d)(?:\s*[ap]\.?m\b\.?)?"  # 10:30
    r"|(?<![\d.])\d{1,2}\s*[ap]\.?m\b\.?"  # 9pm
    r"|[£$€]\s?\d[\d,]*(?:\.\d+)?(?:\s?(?:k|m|bn)\b)?"  # £1,200.50
    r"|(?<![\d.])\d[\d,]*(?:\.\d+)?\s?(?:%|p\b|pence\b|pounds?\b|quid\b|grand\b|euros?\b)",
)
_REFERENCE_BEFORE = re.compile(
    r"(?:\bref(?:erence)?|\bcrime|\bcase|\bincident|\blog|\burn|\bcrn|\bcad|\baccount|\bacct"
    r"|\binvoice|\border|\bpolicy|\bserial|\btracking|\bnhs|\bni|\bpayment|\bbooking"
    r"|\bcustomer|\bmembership|\bprison(?:er)?|\bparcel|\bcourt)"
    r"(?:\s+(?:no|number|num|ref|reference|id|code))?\.?[\s:#\-]{0,3}$",
)
# Words allowed between the two halves of a number given in parts ("07700 ... the rest is 900").
_GLUE = re.compile(
    r"[\s,.:;\-()]*(?:(?:and|then|the|rest|is|last|bit|part|first|second|next|end|ends|with|"
    r"followed|by|it|its|it's|after|that|digits?|numbers?|remaining|of|"
    # fillers: "0781 - honestly - 334 90 12"
    r"honestly|like|um+|erm+|er|uh+|ok|okay|so|yeah|right|anyway|basically|actually|sorry|"
    r"i|mean|you|know|hang|on|wait|hold|promise|seriously|literally)[\s,.:;\-()/]*){0,8}",
)
# What says the digits after it are (part of) someone's phone number: "my number ends 900 654",
# "the last four digits are 0258", "text me on 0770". A run after it is reported even when it is
# too short to be a whole number: with the rest known or guessed, a part is enough to call.
_PARTIAL_CUE = re.compile(
    r"(?:\b(?:number|phone|mobile|digits)\s+(?:ends|ending|finishes)(?:\s+(?:in|with|on))?"
    r"|\blast\s+(?:\w+\s+)?(?:digits|numbers)(?:\s+of\s+(?:my|the|his|her)\s+"
    r"(?:number|phone|mobile))?(?:\s+(?:are|is|were))?"
    r"|\b(?:call|text|ring|phone|whatsapp|message)\s+(?:me|us)\s+(?:on|at)"
    r"|\bmy\s+(?:new\s+)?(?:number|mobile|phone)(?:\s+number)?(?:\s+is|'s)?"
    r")[\s:,\-]{0,3}$"
)
# Every cue has one of these words; a letter without any has no cued part to look for.
_CUE_WORDS = frozenset(
    b"number phone mobile digits numbers call text ring whatsapp message".split()
)
_PARTIAL_MIN = 3  # digits: "ends in 258" is worth a look; "my number is 12" is not
_GB_START = frozenset("1235789")
_REPEAT_GAP = re.compile(r"[ \t,\-]{1,3}")  # between "double" and its digit
_FIRST_PART = re.compile(r"07\d{2,8}")  # the first part of a number given in two
_CURRENCY = frozenset("£$€")
_MIN_LENGTH = 8  # no length from `_candidate_lengths` is shorter (international: 8 to 15)


class Run(NamedTuple):
    """Digits read from the text, with the span of each digit and where tokens start.

    (A named tuple rather than a frozen dataclass: a letter makes a few dozen, mostly of one
    token, and a tuple is several times cheaper to create.)
    """

    digits: str
    spans: tuple[tuple[int, int], ...]
    token_starts: tuple[int, ...]
    plus: frozenset[int]  # token starts (digit indices) directly preceded by "+"

    def span(self, first: int, last: int) -> tuple[int, int]:
        """The text span of digits[first:last]."""
        return self.spans[first][0], self.spans[last - 1][1]


def _gap_ok(text: str, start: int, end: int) -> bool:
    if end - start > _MAX_GAP:
        return False
    gap = text[start:end]
    if "/" in gap and gap.strip() == "/" and gap != "/":
        return True  # "nine oh oh / seven seven seven", but never the "/" of a date
    if gap == "/":
        # "07700/900/123": a bare slash between groups of three digits or more (a date, a
        # month and year or a case reference "CR/20431/25" has a shorter group beside it).
        return _digits_before(text, start) >= 3 and _digits_after(text, end) >= 3
    return gap.count("\n") <= 2 and all(c in _GAP_CHARS for c in gap)


def _digits_before(text: str, at: int) -> int:
    count = 0
    while at - count > 0 and text[at - count - 1].isdigit() and count < 3:
        count += 1
    return count


def _digits_after(text: str, at: int) -> int:
    count = 0
    while at + count < len(text) and text[at + count].isdigit() and count < 3:
        count += 1
    return count


def _tokens(text: str, cased: str | None = None) -> list[tuple[int, int, str]]:
    """(start, end, kind) of digit groups ("num") and number words ("word"), in order."""
    tokens = []
    taken = -1  # text[:taken] is inside a group read with letters for digits
    for m in _NUM.finditer(text):
        start, end = m.span()
        if start < taken:
            continue
        if cased is not None:
            wide = _lookalike_group(text, cased, start, end)
            if wide is not None:
                tokens.append((*wide, "num"))
                taken = wide[1]
                continue
        first = start
        while first > 0 and text[first - 1] == "o":
            first -= 1
        if first < start and (first == 0 or not text[first - 1].isalpha()):
            start = first  # "o77oo", but not the o of "to07700"
        if end < len(text) and text[end].isalpha():
            while text[end - 1] == "o":
                end -= 1
        tokens.append((start, end, "num"))
    tokens += _number_words(text)
    tokens.sort()
    return tokens


def _lookalike_group(text: str, cased: str, start: int, end: int) -> tuple[int, int] | None:
    """The span of a digit group written with letters for digits ("9l2", "O77OO", "07B00")
    around the digits at text[start:end], or None when there is none (a word with digits in
    it, "5l", "B2B", "1990s").

    The group is the whole stretch of digits and look-alike characters around the digits, with
    no other letter touching it. Each letter must be one that is drawn like a digit in its case
    (O o l I | S B Z; a lower-case s only between digits), there must be fewer of them (letter
    O aside) than digits, and a "|" between two groups of three digits or more is a separator
    ("07700|900|123"), not a one.
    """
    first, last = start, end
    while first > 0 and text[first - 1] in _LOOKALIKE_OR_DIGIT:
        first -= 1
    while last < len(text) and text[last] in _LOOKALIKE_OR_DIGIT:
        last += 1
    if (first > 0 and text[first - 1].isalpha()) or (last < len(text) and text[last].isalpha()):
        return None
    group = cased[first:last]
    if all(c in _ZEROISH for c in group):
        return None  # digits and O's only: the usual reading does as well
    letters = digits = 0
    for index, ch in enumerate(group):
        if ch.isdigit():
            digits += 1
        elif ch in "oO":
            continue
        elif ch == "s" and not (0 < index < len(group) - 1):
            return None  # "1990s"
        elif ch not in _LOOKALIKE_CASED or (ch == "|" and not _pipe_is_one(group, index)):
            return None
        else:
            letters += 1
    if letters >= digits:
        return None
    return first, last


def _pipe_is_one(group: str, index: int) -> bool:
    if not (0 < index < len(group) - 1):
        return False
    before = len(group[:index]) - len(group[:index].rstrip("0123456789"))
    after = len(group[index + 1 :]) - len(group[index + 1 :].lstrip("0123456789"))
    return before > 0 and after > 0 and not (before >= 3 and after >= 3)


def _number_words(text: str) -> list[tuple[int, int, str]]:
    """Every number word that is a whole word: no letter or digit either side, no "'" after it
    ("o'clock"). At most one number word can be whole at a position ("one" and the "o" in it
    cannot both be), so this is each occurrence that passes the checks. A whole number word is
    also a word of `ascii_words`, so only the few number words in that set are looked for."""
    found = []
    for word in (word.decode() for word in _NUMBER_WORDS & ascii_words(text)):
        at = text.find(word)
        while at >= 0:
            end = at + len(word)
            if not (at > 0 and text[at - 1].isalnum()) and not (
                end < len(text) and (text[end].isalnum() or text[end] == "'")
            ):
                found.append((at, end, "word"))
            at = text.find(word, at + 1)
    return found


def _mask_at(text: str, start: int) -> int:
    """End of a date, time, money or percentage starting at the digit at `start`, or -1."""
    if _CURRENCY.isdisjoint(text[max(0, start - 2) : start]):  # the common case: one try
        m = _MASKS.match(text, start)
        return -1 if m is None else m.end()
    for at in (start, start - 1, start - 2):
        if at < 0 or (at < start and text[at] not in _CURRENCY):
            continue
        m = _MASKS.match(text, at)
        if m is not None:
            return m.end()
    return -1


class _RunBuilder:
    def __init__(self, text: str, segments: list[tuple[int, int]]) -> None:
        self.text = text
        self.segments = segments
        self.runs: list[Run] = []
        self.segment = -1
        self._reset()

    def _reset(self) -> None:
        self.digits: list[str] = []
        self.spans: list[tuple[int, int]] = []
        self.starts: list[int] = []
        self.plus: set[int] = set()
        self.last_end = -1

    def flush(self) -> None:
        if self.digits:  # (with no digits, nothing has been added since the last reset)
            self.runs.append(
                Run(
                    "".join(self.digits),
                    tuple(self.spans),
                    tuple(self.starts),
                    frozenset(self.plus),
                )
            )
            self._reset()

    def _segment_of(self, start: int) -> int:
        if not self.segments:
            return -1
        index = bisect_right(self.segments, (start, len(self.text))) - 1
        return index if index >= 0 and start < self.segments[index][1] else -1

    def continues(self, start: int) -> bool:
        return (
            self.last_end >= 0
            and _gap_ok(self.text, self.last_end, start)
            and self._segment_of(start) == self.segment
        )

    def add(self, digits: str, start: int, end: int, spans: list[tuple[int, int]]) -> None:
        if not self.continues(start):
            self.flush()
            self.segment = self._segment_of(start)
        index = len(self.digits)
        self.starts.append(index)
        before = self.text[max(0, start - 3) : start].rstrip(" (")
        if before.endswith("+"):
            self.plus.add(index)
        self.digits.extend(digits)
        self.spans.extend(spans)
        self.last_end = end


def digit_runs(
    text: str, found: Sequence[tuple[int, int]] = (), cased: str | None = None
) -> list[Run]:
    """All runs of digit tokens in `text` (the normalised copy in lower case), in order.

    `found` are spans other detectors already reported (a URL, an address...). A run never
    crosses their edges: "bit.ly/x1 07700" is not the digits 107700, and redacting the URL
    cannot turn what is left into a different number.

    `cased` is the normalised copy before lower-casing (same length as `text`); with it, letters
    drawn like digits are read as digits inside a digit group ("O77OO 9l2 345", "07B00").
    """
    builder = _RunBuilder(text, _union(found))
    repeat: tuple[int, int, int] | None = None  # (times, start, end) of a pending "double"
    masked_until = -1
    for start, end, kind in _tokens(text, cased):
        if start < masked_until:
            continue
        if kind == "num" and (masked_until := _mask_at(text, start)) > 0:
            builder.flush()  # a date, time or amount ends any number
            repeat = None
            continue
        if kind == "word" and text[start:end] in _MULTIPLIERS:
            repeat = (_MULTIPLIERS[text[start:end]], start, end)
            continue
        if kind == "num":
            digits = text[start:end].translate(_LOOKALIKE_DIGITS)
            spans = list(zip(range(start, end), range(start + 1, end + 1), strict=True))
        else:
            word = text[start:end]
            if word in _SCALES:
                # "seven hundred" is 700; a scale word never starts a number.
                if repeat is not None or not builder.continues(start):
                    repeat = None
                    continue
                digits = _SCALES[word]
            else:
                digits = _DIGIT_WORDS[word]
            spans = [(start, end)] * len(digits)
        if repeat is not None:
            times, rep_start, rep_end = repeat
            repeat = None
            # "double oh", "double 7": one digit, close by; never "double. 07700".
            if len(digits) == 1 and _REPEAT_GAP.fullmatch(text, rep_end, start):
                digits = digits[0] * times + digits[1:]
                spans = [(rep_start, spans[0][1])] * times + spans[1:]
                start = rep_start
        builder.add(digits, start, end, spans)
    builder.flush()
    return builder.runs


def _union(spans: Sequence[tuple[int, int]]) -> list[tuple[int, int]]:
    merged: list[tuple[int, int]] = []
    for start, end in sorted(spans):
        if merged and start < merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((start, end))
    return merged


def _international_lengths(rest: str) -> list[int]:
    if rest.startswith("44"):
        return [2 + n for n in _gb_lengths(rest[2:], trunk_optional=True)]
    found = []
    for length in range(min(15, len(rest)), 7, -1):
        try:
            number = phonenumbers.parse("+" + rest[:length], None)
        except phonenumbers.NumberParseException:
            continue
        if phonenumbers.is_possible_number(number):
            found.append(length)
    return found


def _gb_lengths(rest: str, *, trunk_optional: bool = False) -> list[int]:
    """Lengths of GB-shaped numbers at the start of `rest` ("0...", or "7..." after 44)."""
    if rest[:1] == "0" and rest[1:2] in _GB_START:
        return [11, 10]
    if trunk_optional and rest[:1] in _GB_START:
        return [10, 9]
    return []


def _candidate_lengths(run: Run, first: int) -> tuple[list[int], bool]:
    """Possible phone lengths starting at digit `first` and whether the shape is a mobile."""
    rest = run.digits[first:]
    if first in run.plus:
        return _international_lengths(rest), rest.startswith("447") or rest.startswith("4407")
    if rest.startswith("00") and rest[2:3] not in ("", "0") and first + 1 not in run.token_starts:
        return [2 + n for n in _international_lengths(rest[2:])], rest.startswith("00447")
    if rest.startswith("44") and (rest[2:3] in _GB_START or rest[2:4] == "07"):
        return [2 + n for n in _gb_lengths(rest[2:], trunk_optional=True)], "7" in rest[2:4]
    if rest.startswith("0"):
        return _gb_lengths(rest), rest.startswith("07")
    if rest[:1] == "7" and rest[1:2] != "0":
        return [10], True
    return [], False


def widen(text: str, start: int, end: int) -> tuple[int, int]:
    """Take in the "+" of "+44" and the "(" of "(01632) 960 001" in front of a number."""
    cursor = start
    while cursor > 0 and start - cursor < 4:
        before = text[cursor - 1]
        if before == "+" or (before == "(" and ")" in text[cursor:end]):
            start = cursor = cursor - 1
        elif before == " ":
            cursor -= 1
        else:
            break
    return start, end


def _is_reference(text: str, start: int) -> bool:
    return _REFERENCE_BEFORE.search(text, max(0, start - 40), start) is not None


def find_phones(text: str, runs: list[Run]) -> list[tuple[int, int]]:
    """Spans (in `text`) of phone numbers found in `runs`."""
    found: list[tuple[int, int]] = []
    partial: list[tuple[int, Run]] = []  # runs that matched nothing, by index
    for index, run in enumerate(runs):
        if len(run.digits) < _MIN_LENGTH:
            partial.append((index, run))  # shorter than any candidate length: cannot match
            continue
        ends = set(run.token_starts[1:]) | {len(run.digits)}
        matched = False
        # Every token start is tried; overlapping candidates are merged by the caller.
        for first in run.token_starts:
            lengths, mobile = _candidate_lengths(run, first)
            for length in lengths:
                if first + length in ends:
                    start, end = widen(text, *run.span(first, first + length))
                    if mobile or not _is_reference(text, start):
                        found.append((start, end))
                        matched = True
                    break
        if not matched:
            partial.append((index, run))
    found.extend(_split_numbers(text, runs, partial))
    found.extend(_cued_parts(text, partial))
    return found


def _cued_parts(text: str, partial: list[tuple[int, Run]]) -> list[tuple[int, int]]:
    """Runs that are no whole number but follow a phone cue ("my number ends 900 654")."""
    found: list[tuple[int, int]] = []
    if _CUE_WORDS.isdisjoint(ascii_words(text)):
        return found
    for _index, run in partial:
        if len(run.digits) < _PARTIAL_MIN:
            continue
        start, end = run.span(0, len(run.digits))
        cue = _PARTIAL_CUE.search(text, max(0, start - 60), start)
        # "my NI number ends 34 56 C" is a reference, not a phone.
        if cue is not None and not _is_reference(text, cue.start()):
            found.append((start, end))
    return found


def _split_numbers(
    text: str, runs: list[Run], partial: list[tuple[int, Run]]
) -> list[tuple[int, int]]:
    """A mobile given in two parts: "07700 ... the rest is 900 321"."""
    found: list[tuple[int, int]] = []
    unmatched = dict(partial)
    for index, run in partial:
        if not _FIRST_PART.fullmatch(run.digits) or index + 1 not in unmatched:
            continue
        second = unmatched[index + 1]
        if len(second.digits) < 3 or len(run.digits) + len(second.digits) != 11:
            continue
        gap_start, gap_end = run.spans[-1][1], second.spans[0][0]
        if _GLUE.fullmatch(text, gap_start, gap_end):
            found.append(run.span(0, len(run.digits)))
            found.append(second.span(0, len(second.digits)))
    return found
