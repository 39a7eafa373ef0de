"""The item page's moderation form: highlighted segments in, a domain Decision out.

Offsets are Unicode code points into the item's `text` (as the domain and DESIGN require). The
page's script converts the browser's UTF-16 selection offsets before they reach this module.
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from moderation.redaction import DEFAULT_REPLACEMENT, MAX_REPLACEMENT, Span, apply
from relay.domain.decisions import Decision
from relay.domain.errors import Invalid
from relay.domain.items import MAX_CONTENT_NOTE, MAX_NOTE
from relay.inputs.staff import MAX_SPANS

ACTIONS = frozenset({"approve", "return", "reject", "countersign", "preview"})


@dataclass(frozen=True, slots=True)
class Segment:
    text: str
    start: int
    end: int
    findings: tuple[str, ...]  # ids of the findings covering this stretch
    kinds: tuple[str, ...]


def segments(text: str, findings: Sequence[Mapping[str, Any]]) -> list[Segment]:
    """Cut `text` at every finding boundary; overlapping findings share a segment."""
    cuts = {0, len(text)}
    spans = []
    for f in findings:
        start, end = max(0, int(f["start"])), min(len(text), int(f["end"]))
        if start < end:
            cuts.update((start, end))
            spans.append((start, end, str(f["id"]), str(f["kind"])))
    points = sorted(cuts)
    result = []
    for a, b in itertools.pairwise(points):
        covering = [s for s in spans if s[0] <= a and b <= s[1]]
        result.append(
            Segment(
                text[a:b],
                a,
                b,
                tuple(s[2] for s in covering),
                tuple(dict.fromkeys(s[3] for s in covering)),
            )
        )
    return result


@dataclass
class Selection:
    """What the practitioner chose on the form (kept when the page is shown again)."""

    choices: dict[str, str] = field(default_factory=dict)  # finding id -> redact | dismiss
    reasons: dict[str, str] = field(default_factory=dict)
    spans: list[tuple[int, int]] = field(default_factory=list)
    remove_text: str = ""
    replacement: str = DEFAULT_REPLACEMENT
    note: str = ""
    content_note: str = ""
    action: str = ""


def _span(raw: str) -> tuple[int, int]:
    start, sep, end = raw.partition("-")
    if not sep or not start.isdigit() or not end.isdigit():
        raise Invalid("A selected passage could not be read; select it again.", field="span")
    return int(start), int(end)


def read_selection(form: Mapping[str, Any], findings: Sequence[Mapping[str, Any]]) -> Selection:
    getall = getattr(form, "getall", None)
    raw_spans = getall("span", []) if getall else []
    if len(raw_spans) > MAX_SPANS:
        raise Invalid("Too many passages are selected.", field="span")
    selection = Selection(
        spans=[_span(str(raw)) for raw in raw_spans],
        remove_text=str(form.get("remove_text", "")),
        replacement=str(form.get("replacement", DEFAULT_REPLACEMENT)),
        note=str(form.get("note", "")).replace("\r\n", "\n").strip()
        or str(form.get("saved_note", "")).strip(),
        content_note=str(form.get("content_note", "")),
        action=str(form.get("action", "")),
    )
    for f in findings:
        fid = str(f["id"])
        choice = str(form.get(f"finding_{fid}", ""))
        if choice in ("redact", "dismiss"):
            selection.choices[fid] = choice
        reason = str(form.get(f"reason_{fid}", "")).strip()
        if reason:
            selection.reasons[fid] = reason
    if len(selection.replacement) > MAX_REPLACEMENT:
        raise Invalid(f"The replacement is longer than {MAX_REPLACEMENT} characters.")
    if len(selection.note) > MAX_NOTE or len(selection.content_note) > MAX_CONTENT_NOTE:
        raise Invalid("A note is too long.", field="note")
    return selection


def _merge(spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    merged: list[tuple[int, int]] = []
    for start, end in sorted(spans):
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(end, merged[-1][1]))
        else:
            merged.append((start, end))
    return merged


def redaction_spans(
    text: str, findings: Sequence[Mapping[str, Any]], selection: Selection
) -> list[Span]:
    """Findings marked 'redact', selected passages and every occurrence of the typed phrases,
    merged where they touch, each replaced by the chosen replacement."""
    wanted = [
        (int(f["start"]), int(f["end"]))
        for f in findings
        if selection.choices.get(str(f["id"])) == "redact"
    ]
    wanted += selection.spans
    for phrase in selection.remove_text.replace("\r\n", "\n").split("\n"):
        phrase = phrase.strip()
        at = text.find(phrase) if phrase else -1
        while at >= 0:
            wanted.append((at, at + len(phrase)))
            at = text.find(phrase, at + len(phrase))
    replacement = selection.replacement or DEFAULT_REPLACEMENT
    return [Span(start, end, replacement) for start, end in _merge(wanted)]


def dismissals(findings: Sequence[Mapping[str, Any]], selection: Selection) -> dict[str, str]:
    result = {}
    for f in findings:
        fid = str(f["id"])
        if selection.choices.get(fid) == "dismiss":
            reason = selection.reasons.get(fid, "")
            if not reason:
                raise Invalid(
                    f"To dismiss finding {fid}, say why it is safe to pass on.", field=fid
                )
            result[fid] = reason
    return result


def preview(text: str, spans: Sequence[Span]) -> str:
    """The text as it would be delivered (spans already validated or merged here)."""
    try:
        return apply(text, spans)
    except ValueError:
        return text


def decision(
    text: str, findings: Sequence[Mapping[str, Any]], selection: Selection, version: int
) -> Decision:
    """The domain Decision for the button pressed: approve becomes redact when spans exist."""
    action = selection.action
    if action not in ACTIONS or action == "preview":
        raise Invalid("Choose one of the buttons to decide.", field="action")
    note = selection.note.strip() or None
    if action in ("return", "reject"):
        return Decision(action=action, version=version, note=note)
    if action == "countersign":
        if redaction_spans(text, findings, selection):
            raise Invalid(
                "A countersignature confirms this version as it stands. To change it, return it "
                "to the author with a note."
            )
        return Decision(action=action, version=version)
    spans = redaction_spans(text, findings, selection)
    return Decision(
        action="redact" if spans else "approve",
        version=version,
        redactions=spans,
        dismissed=dismissals(findings, selection),
        note=None,
        content_note=selection.content_note.strip() or None,
    )
