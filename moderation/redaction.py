"""Applying redaction spans to an item's text.

Spans are code-point offsets into the text being redacted, end exclusive. They are validated
as a whole before anything is applied, so a bad request changes nothing.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

DEFAULT_REPLACEMENT = "[removed]"
MAX_REPLACEMENT = 200


class RedactionError(ValueError):
    """A span is out of range, overlaps another, or has an unusable replacement."""


@dataclass(frozen=True, slots=True)
class Span:
    start: int
    end: int
    replacement: str = DEFAULT_REPLACEMENT

    def covers(self, start: int, end: int) -> bool:
        return self.start <= start and end <= self.end


def validate(text: str, spans: Iterable[Span]) -> list[Span]:
    """Return the spans sorted by start, or raise RedactionError naming the first bad one."""
    ordered = sorted(spans, key=lambda s: (s.start, s.end))
    previous_end = 0
    for span in ordered:
        if not 0 <= span.start < span.end <= len(text):
            raise RedactionError(
                f"span {span.start}..{span.end} is outside the text (length {len(text)})"
            )
        if span.start < previous_end:
            raise RedactionError(f"span {span.start}..{span.end} overlaps another span")
        if len(span.replacement) > MAX_REPLACEMENT:
            raise RedactionError(f"a replacement is longer than {MAX_REPLACEMENT} characters")
        previous_end = span.end
    return ordered


def apply(text: str, spans: Iterable[Span]) -> str:
    """Replace each span of `text` with its replacement."""
    parts: list[str] = []
    cursor = 0
    for span in validate(text, spans):
        parts.append(text[cursor : span.start])
        parts.append(span.replacement)
        cursor = span.end
    parts.append(text[cursor:])
    return "".join(parts)
