"""The case's own vault values, found in any normalised form.

Rule for the two kinds:
- `known`: a whole vault value, or a part that identifies a person or place on its own, in any
  case, spacing or punctuation ("Jo Smith", "jo.smith", "J O SMITH" for "Jo Smith"; "jo dot smith"
  and the e-mail's local part alone for jo.smith@gmail.com; the number in any format, in words,
  or just its last 6+ digits for a phone; "14 Mill Rd", "Mill Road", "cb249ad" for an address);
- `name`: one part (3+ letters, titles such as Mr/Mrs left out) of a person's name as a whole
  word ("Smith", "Whitfield's", "S-a-r-a-h"). A part that is also an English word ("Will",
  "Rose", "Hope") only counts when capitalised, so "I will" is not a finding for Will Brown.

Values are classified: with "@" an e-mail; 7+ digits and hardly any letters a phone; digits
and letters, or commas, an address (only its street line, street name, postcode and multi-word
parts such as a business name are matched: a town on its own is too common a word); otherwise a
name. Values with fewer than 3 letters or digits are ignored.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from moderation.patterns import COMMON_WORDS, words
from moderation.phones import Run, widen
from moderation.places import POSTCODE_RE, is_postcode_area

_I = re.IGNORECASE
_SEP = r"(?:[\s.\-_'*,]{0,3}|\s*dot\s*)"
_TITLES = words("mr mrs ms miss mx dr prof sir dame rev lord lady")
_COMPANY = re.compile(r"\s+(?:ltd|limited|plc|llp|inc|& co)\.?$", _I)
_STREET_LINE = re.compile(
    r"^(?:(?:flat|apartment|apt|unit)\s+\w+\s*,?\s*)?(?P<num>\d{1,4}[a-z]?)\s*,?\s+(?P<street>.+)$",
    _I,
)
_STREET_FORMS = (
    ("road", "rd"),
    ("street", "st"),
    ("avenue", "ave", "av"),
    ("lane", "ln"),
    ("drive", "dr"),
    ("close", "cl"),
    ("crescent", "cres"),
    ("court", "ct"),
    ("place", "pl"),
    ("gardens", "gdns"),
    ("terrace", "tce"),
    ("square", "sq"),
)
# "Mill Road" in the vault also matches "mill rd" in a letter, and the other way round.
_ABBREVIATIONS = {form: "(?:" + "|".join(forms) + ")" for forms in _STREET_FORMS for form in forms}
# Common names that are also English words; matched only when capitalised.
_WORDLIKE_NAMES = COMMON_WORDS | words("""
    will may mark rose grace hope faith bill sue pat jack joy dawn summer rich frank young black
    white brown green hill wood lee long short king page hall bell cook day rob ray sky art
    hunter mason chase carter penny holly ivy ruby amber heather daisy jade pearl robin june
    april august rich price fox fisher baker miller walker wells banks lane west north gay dean
    major power cash love
    """)


@dataclass(frozen=True, slots=True)
class Vault:
    """Compiled matchers for one case's vault values."""

    phones: tuple[str, ...]  # national digit strings
    emails: frozenset[str]  # canonical addresses
    # (pattern, kind, cased): most patterns run on the lower-case text, a few need capitals.
    patterns: tuple[tuple[re.Pattern[str], str, bool], ...]

    def find_text(self, text: str, lower: str) -> list[tuple[int, int, str]]:
        """Spans of vault names, e-mails and addresses in the normalised text."""
        found: list[tuple[int, int, str]] = []
        for pattern, kind, cased in self.patterns:
            found += [
                (m.start(), m.end(), kind) for m in pattern.finditer(text if cased else lower)
            ]
        return found

    def find_phones(self, text: str, runs: list[Run]) -> list[tuple[int, int]]:
        """Spans of vault phone numbers (or their last 6+ digits) in the digit `runs`."""
        found: list[tuple[int, int]] = []
        for number in self.phones:
            found += [widen(text, s, e) for s, e in _phone_in_runs(number, runs)]
        return found


def _phone_in_runs(number: str, runs: list[Run]) -> list[tuple[int, int]]:
    """Where the last 6+ digits of `number` appear in a run, extended over any earlier digits."""
    tail = number[-6:]
    found = []
    for run in runs:
        digits = run.digits
        at = digits.find(tail)
        while at >= 0:
            first, matched = at, len(tail)
            while first > 0 and matched < len(number) and digits[first - 1] == number[-matched - 1]:
                first -= 1
                matched += 1
            if matched >= len(number) - 1 and digits[max(0, first - 2) : first] == "44":
                first -= 2  # +44 in place of the trunk zero
            found.append(run.span(first, at + len(tail)))
            at = digits.find(tail, at + 1)
    return found


def _national(digits: str) -> str:
    if digits.startswith("0044"):
        digits = digits[4:]
    elif digits.startswith("44") and len(digits) >= 11:
        digits = digits[2:]
    else:
        return digits
    return digits if digits.startswith("0") else "0" + digits


def _flexible(value: str) -> str | None:
    """A pattern for `value`'s letters and digits with any light punctuation between them."""
    skeleton = re.sub(r"[^a-z0-9]", "", value.lower())
    if len(skeleton) < 4:
        return None
    body = _SEP.join(re.escape(c) for c in skeleton)
    return _bounded(body) + _boundary_after(skeleton[-1])


def _bounded(body: str, letters: str = "a-z") -> str:
    """`body` with a word boundary in front. A name glued to a number is still the name, so
    only a letter before a letter (or a digit before a digit) continues a word. The check sits
    after the first character, so the pattern starts with a literal that the regex engine can
    search for quickly instead of trying every position."""
    first = body[0]
    if not first.isalnum():
        return rf"(?<![{letters}0-9]){body}"
    before = "0-9" if first.isdigit() else letters
    return rf"{first}(?<![{before}]{first}){body[1:]}"


def _boundary_after(last: str) -> str:
    return r"(?![0-9])" if last.isdigit() else r"(?![a-z])"


def _words(words: list[str]) -> str:
    return r"[\s,.\-]+".join(_ABBREVIATIONS.get(w.lower(), re.escape(w.lower())) for w in words)


def _name_part(part: str) -> tuple[re.Pattern[str], bool] | None:
    """A pattern for one part of a name, and whether it must run on the text's own case."""
    part = re.sub(r"[^A-Za-z'\-]", "", part)  # "(Jo)" -> "Jo"
    letters = re.sub(r"[^a-z]", "", part.lower())
    if len(letters) < 3 or letters in _TITLES:
        return None
    pieces = [piece.lower() for piece in re.split(r"['\-]", part) if piece]
    cased = letters in _WORDLIKE_NAMES
    if cased:
        # "Will" and "WILL" are the name, "will" is a verb.
        capitalised = [pieces[0].capitalize(), *pieces[1:]]
        forms = [capitalised, [piece.upper() for piece in pieces]]
        letters = letters.upper()
    else:
        forms = [pieces]
    exact = "|".join("['\\s\\-]?".join(re.escape(p) for p in form) for form in forms)
    # Letters spaced out with one repeated separator: "S-a-r-a-h", "S M I T H".
    spaced = "(?P<s>[ .\\-_*])".join(letters[:2]) + "".join(f"(?P=s){c}" for c in letters[2:])
    # Every alternative starts with the same letter, so it can go in front as a literal.
    head = forms[0][0][0].upper() if cased else letters[0]
    alternatives = "|".join(alt[1:] for alt in (*exact.split("|"), spaced))
    return re.compile(_bounded(f"{head}(?:{alternatives})", "A-Za-z") + "(?![A-Za-z])"), cased


def _address_patterns(value: str) -> list[str]:
    patterns = []
    for raw in re.split(r"[,\n;]+", value):
        part = raw.strip()
        postcode = POSTCODE_RE.search(part.lower())
        if postcode is not None and is_postcode_area(postcode.group("area")):
            if (flexible := _flexible(postcode.group())) is not None:
                patterns.append(flexible)
            part = (part[: postcode.start()] + part[postcode.end() :]).strip()
        line = _STREET_LINE.match(part)
        if line is not None:
            street = line.group("street").split()
            number = re.escape(line.group("num"))
            patterns.append(_bounded(rf"{number}[\s,]+{_words(street)}(?![a-z])"))
            if len(street) >= 2:
                patterns.append(_bounded(rf"{_words(street)}(?![a-z])"))
            continue
        words = _COMPANY.sub("", part).split()
        if len(words) >= 2:
            patterns.append(_bounded(rf"{_words(words)}(?![a-z])"))
    return patterns


@lru_cache(maxsize=512)
def compile_vault(values: tuple[str, ...]) -> Vault:
    """Compile matchers for a case's vault values (cached: a case's vault rarely changes)."""
    phones: list[str] = []
    emails: set[str] = set()
    patterns: list[tuple[re.Pattern[str], str, bool]] = []
    for raw in values:
        value = raw.strip()
        digits = re.sub(r"\D", "", value)
        letters = sum(c.isalpha() for c in value)
        if len(re.sub(r"[\W_]", "", value)) < 3:
            continue
        if "@" in value:
            emails.add(re.sub(r"\s+", "", value.lower()))
            for piece in (value, value.split("@")[0]):
                if (flexible := _flexible(piece)) is not None:
                    patterns.append((re.compile(flexible), "known", False))
        elif len(digits) >= 7 and letters <= 3:
            phones.append(_national(digits))
        elif digits or "," in value or "\n" in value:
            patterns += [(re.compile(p), "known", False) for p in _address_patterns(value)]
        else:
            if (flexible := _flexible(value)) is not None:
                patterns.append((re.compile(flexible), "known", False))
            for part in re.split(r"[\s,]+", value):
                if (compiled := _name_part(part)) is not None:
                    patterns.append((compiled[0], "name", compiled[1]))
    return Vault(tuple(phones), frozenset(emails), tuple(patterns))
