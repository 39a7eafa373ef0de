"""Contact-detail detection: the content layer of the contact-detail wall (DESIGN.md).

Every detector reads one normalised copy of the text (see `moderation.normalise`) and reports
spans in it; they are mapped back to the original text, then tidied so a practitioner sees each
thing once:

1. a finding is widened to whole words, so redacting it never leaves half a word behind;
2. findings of the same kind that overlap are merged into one;
3. of findings with identical spans, only the most specific kind is kept;
4. a finding inside a finding of a more specific kind is dropped ("gmail.com" inside an e-mail).

Specificity, most first: known, email, phone, url, address, postcode, handle, name. A `known`
value inside an e-mail or a handle phrase is kept, so the practitioner sees it is the case's own.
All regular expressions are compiled at import; `known` is compiled once per distinct vault.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Iterable

from moderation.findings import Finding
from moderation.normalise import fold, normalise
from moderation.online import find_emails, find_handles, find_urls
from moderation.phones import digit_runs, find_phones
from moderation.places import find_addresses, find_postcodes
from moderation.vault import compile_vault

_PRIORITY = {
    kind: rank
    for rank, kind in enumerate(
        ("known", "email", "phone", "url", "address", "postcode", "handle", "name")
    )
}


def find_contact_details(text: str, known: Iterable[str] = ()) -> list[Finding]:
    """Return findings of contact details in `text`, sorted by position.

    `known` are the case's vault values; matches of them are reported as `known` (a whole value
    in any form) or `name` (part of a person's name). Offsets index the original `text`.
    """
    norm = normalise(text)
    cased, lower = norm.text, norm.lower
    # Vault values are read like the text, so one typed with invisible characters or combining
    # accents still matches.
    vault = compile_vault(tuple(fold(value) for value in known if isinstance(value, str)))

    spans: list[tuple[int, int, str]] = []
    for s, e, canonical in find_emails(lower):
        spans.append((s, e, "known" if canonical in vault.emails else "email"))
    spans += [(s, e, "url") for s, e in find_urls(lower)]
    spans += [(s, e, "handle") for s, e in find_handles(cased, lower)]
    spans += [(s, e, "postcode") for s, e in find_postcodes(cased, lower)]
    spans += [(s, e, "address") for s, e in find_addresses(lower)]
    spans += vault.find_text(cased, lower)
    # Phones last: their digit runs stop at the edges of everything found so far.
    runs = digit_runs(lower, [(s, e) for s, e, _kind in spans], cased)
    spans += [(s, e, "phone") for s, e in find_phones(lower, runs)]
    spans += [(s, e, "known") for s, e in vault.find_phones(lower, runs)]

    mapped = []
    for start, end, kind in spans:
        if start < end:
            mapped.append((*norm.original_span(*_whole_words(cased, start, end)), kind))
    return _tidy(mapped)


def _whole_words(text: str, start: int, end: int) -> tuple[int, int]:
    """Widen a span to whole words (letters, digits, "-", "_"): "call07700900888" is redacted
    as one word, so redaction never leaves half a word ("9ad0" -> "0") to be read anew."""
    while start > 0 and _in_word(text[start - 1]) and _in_word(text[start]):
        start -= 1
    while end < len(text) and _in_word(text[end]) and _in_word(text[end - 1]):
        end += 1
    return start, end


def _in_word(ch: str) -> bool:
    return ch.isalnum() or ch in "-_"


def _merge(spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """Sorted spans with overlapping ones joined."""
    merged: list[tuple[int, int]] = []
    for start, end in sorted(spans):
        if merged and start < merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((start, end))
    return merged


def _contains(starts: list[int], ends: list[int], start: int, end: int) -> bool:
    """Whether one of the disjoint, sorted spans (starts, ends) contains [start, end)."""
    index = bisect_right(starts, start) - 1
    return index >= 0 and end <= ends[index]


def _tidy(spans: list[tuple[int, int, str]]) -> list[Finding]:
    by_kind: dict[str, list[tuple[int, int]]] = {}
    for start, end, kind in spans:
        by_kind.setdefault(kind, []).append((start, end))
    # Most specific kind first; a span is kept unless a kept span of a more specific kind
    # contains it. Kept spans of one kind are disjoint and sorted, so the only one that can
    # contain a span is the last one starting at or before it (found by bisection).
    kept: list[Finding] = []
    outranking: list[tuple[list[int], list[int]]] = []  # (starts, ends) of each kind kept
    for kind in sorted(by_kind, key=_PRIORITY.__getitem__):
        survivors = [
            (start, end)
            for start, end in _merge(by_kind[kind])
            if not any(_contains(starts, ends, start, end) for starts, ends in outranking)
        ]
        outranking.append(([start for start, _ in survivors], [end for _, end in survivors]))
        kept += [Finding(start, end, kind) for start, end in survivors]
    return sorted(kept)
