"""A normalised copy of an item's text that remembers where each character came from.

Detectors run on the copy and report spans in it; `Normalised.original_span` turns those back
into code-point offsets into the text the sender wrote. The rules, applied one character at a
time so the offset map stays exact:

- invisible code points are dropped, because senders use them to split "07700\u200b900123" past
  a naive matcher: every default-ignorable code point (Unicode's Default_Ignorable_Code_Point:
  variation selectors, the combining grapheme joiner, U+17B4, Hangul fillers, tag characters),
  every format character (zero-width space/joiner, soft hyphen, bidi controls: category Cf),
  every control character but ordinary whitespace (tab, line feed, vertical tab, form feed,
  carriage return: Cc) and every combining mark (Mn, Me: "Zoe\u0301" reads as "Zoe");
- any decimal digit from any script ("٠٧", fullwidth "０７") becomes its ASCII digit;
- typographic quotes become ' or ", every dash and minus sign becomes "-", every space
  separator becomes " " and Unicode line/paragraph separators become "\n";
- Cyrillic and Greek letters drawn like Latin ones become those Latin letters ("gmаil" with a
  Cyrillic "а" -> "gmail"): a sender can slip an address past every pattern that way, and a
  practitioner would not see the difference on the page;
- anything else outside ASCII is NFKC-folded ("＠" -> "@", ligatures split into letters).

`text` keeps case (a few rules look at capitals); `lower` is the same text in lower case,
character for character, so most patterns can be compiled without IGNORECASE, which makes
Python's regex engine several times slower on long alternations.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from itertools import pairwise

_PUNCT_MAP = {
    "\u2018": "'",
    "\u2019": "'",
    "\u201a": "'",
    "\u201b": "'",
    "\u02bc": "'",
    "\u2032": "'",
    "\u00b4": "'",
    "`": "'",
    "\u201c": '"',
    "\u201d": '"',
    "\u201e": '"',
    "\u2033": '"',
    "\u2010": "-",
    "\u2011": "-",
    "\u2012": "-",
    "\u2013": "-",
    "\u2014": "-",
    "\u2015": "-",
    "\u2212": "-",
    "\ufe63": "-",
    "\uff0d": "-",
    "\u2028": "\n",
    "\u2029": "\n",
    "\u0085": "\n",
}


# Letters of other scripts that are drawn (near enough) like a Latin letter, after Unicode's
# confusables list (UTS #39) for the Cyrillic, Greek and IPA letters seen in disguised contact
# details. Only the shape matters here: detection favours recall, and a practitioner sees the
# text exactly as written.
_LOOKALIKES = str.maketrans(
    "аеорсухіјѕԁһӏԛԝɡıνοραικυχАВЕКМНОРСТХУІЈЅԜΑΒΕΖΗΙΚΜΝΟΡΤΥΧ",
    "aeopcyxijsdhlqwgivopaikuxABEKMHOPCTXYIJSWABEZHIKMNOPTYX",
)
_LOOKALIKE_CHARS = frozenset(chr(code) for code in _LOOKALIKES)

# Unicode's Default_Ignorable_Code_Point (DerivedCoreProperties.txt). Most are Cf or Mn anyway;
# this also catches the Hangul fillers (Lo) and unassigned reserved ones (Cn).
_DEFAULT_IGNORABLE = re.compile(
    "[\u00ad\u034f\u061c\u115f\u1160\u17b4\u17b5\u180b-\u180f\u200b-\u200f\u202a-\u202e"
    "\u2060-\u206f\u3164\ufe00-\ufe0f\ufeff\uffa0\ufff0-\ufff8\U0001bca0-\U0001bca3"
    "\U0001d173-\U0001d17a\U000e0000-\U000e0fff]"
)
_DROPPED_CATEGORIES = frozenset({"Cf", "Cc", "Mn", "Me"})
_KEPT_CONTROLS = frozenset("\t\n\x0b\x0c\r")
# What the normalised copy does not keep as it is: anything outside ASCII, and the ASCII
# control characters other than tab, line feed, vertical tab, form feed and carriage return.
_NOT_KEPT = re.compile(r"[^\x09-\x0d\x20-\x7e]")
_ASCII_CONTROL = re.compile(r"[\x00-\x08\x0e-\x1f\x7f]")


def _invisible(ch: str) -> bool:
    """Whether `ch` is dropped from the normalised copy (see the module docstring)."""
    return (
        unicodedata.category(ch) in _DROPPED_CATEGORIES and ch not in _KEPT_CONTROLS
    ) or _DEFAULT_IGNORABLE.match(ch) is not None


@lru_cache(maxsize=4096)
def _fold(ch: str) -> str:
    """The replacement for one non-ASCII character (possibly empty or several characters)."""
    mapped = _PUNCT_MAP.get(ch)
    if mapped is not None:
        return mapped
    if ch in _LOOKALIKE_CHARS:
        return ch.translate(_LOOKALIKES)
    if _invisible(ch):
        return ""
    if unicodedata.category(ch) == "Zs":
        return " "
    digit = unicodedata.decimal(ch, None)
    if digit is not None:
        return str(digit)
    folded = unicodedata.normalize("NFKC", ch)
    if folded == ch:
        return ch
    # NFKC can produce characters that have their own mapping (e.g. a fullwidth dash), and
    # combining marks ("\u0385" -> " \u0308\u0301"), which are dropped like any other.
    return "".join(_PUNCT_MAP.get(c, c) for c in folded if not _invisible(c))


@dataclass(frozen=True, slots=True)
class Normalised:
    """`text` is the normalised copy; `origin[i]` is the original index of `text[i]`.

    `origin` is None when the copy is identical to the original (the common ASCII case), so
    plain letters pay nothing for the map.
    """

    original: str
    text: str
    lower: str
    origin: tuple[int, ...] | None

    def original_span(self, start: int, end: int) -> tuple[int, int]:
        """Map the half-open span [start, end) of `text` back to the original text."""
        if self.origin is None:
            return start, end
        return self.origin[start], self.origin[end - 1] + 1


# Every byte that is not a-z becomes a space (non-ASCII characters are "?" by then).
_LETTERS_ONLY = bytes(c if 0x61 <= c <= 0x7A else 0x20 for c in range(256))


@lru_cache(maxsize=8)
def ascii_letters(lower: str) -> bytes:
    """`lower` with a space in front and every character but a-z as a space (one byte each), so
    a word starts with "end" exactly where b" end" is in it."""
    return b" " + lower.encode("ascii", "replace").translate(_LETTERS_ONLY)


@lru_cache(maxsize=8)
def _ascii_tokens(lower: str) -> tuple[bytes, ...]:
    return tuple(ascii_letters(lower).split())


@lru_cache(maxsize=8)
def ascii_words(lower: str) -> frozenset[bytes]:
    """The words of `lower`, a word being a maximal run of the letters a-z (as bytes).

    Detectors use it to skip a rule when a word that every match needs is missing. Computed in
    C (encode, translate, split), a few microseconds for a letter, and cached for the last few
    texts: `find_contact_details` and `find_risk_phrases` both ask for it.
    """
    return frozenset(_ascii_tokens(lower))


@lru_cache(maxsize=8)
def ascii_word_pairs(lower: str) -> frozenset[tuple[bytes, ...]]:
    """Each two consecutive words of `ascii_words` order ("don't want" gives (b"t", b"want"))."""
    return frozenset(pairwise(_ascii_tokens(lower)))


@lru_cache(maxsize=8)
def normalise(text: str) -> Normalised:
    """Return the normalised copy of `text` with its offset map (cached for the last few texts:
    the server scans each item for contact details and for risk phrases)."""
    return _normalise(text)


def fold(value: str) -> str:
    """The normalised copy of a short `value` (a vault value), without the cache of `normalise`
    (which is kept for the texts being scanned)."""
    if value.isascii() and _ASCII_CONTROL.search(value) is None:
        return value
    return _normalise(value).text


def _normalise(text: str) -> Normalised:
    if text.isascii() and _ASCII_CONTROL.search(text) is None:
        return Normalised(text, text, text.lower(), None)
    out: list[str] = []
    origin: list[int] = []
    done = 0  # text[:done] is copied to `out`
    for m in _NOT_KEPT.finditer(text):
        index = m.start()
        folded = _fold(m.group())
        if folded == m.group():
            continue  # "£", "é": kept as they are, offsets unchanged
        out.append(text[done:index])
        origin.extend(range(done, index))
        out.append(folded)
        origin.extend([index] * len(folded))
        done = index + 1
    if not out:
        lower = text.lower()
        if len(lower) == len(text):
            return Normalised(text, text, lower, None)
    out.append(text[done:])
    origin.extend(range(done, len(text)))
    result = "".join(out)
    lower = result.lower()
    if len(lower) != len(result):
        # "İ".lower() is two characters; such a character stays as it is in `lower`.
        lower = "".join(c if len(low := c.lower()) != 1 else low for c in result)
    return Normalised(text, result, lower, tuple(origin))
