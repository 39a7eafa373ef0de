"""Property-based tests of moderation.redaction, alone and through the API.

For any text and any set of valid spans (in range, non-empty, not overlapping; touching is
allowed), with gaps = the untouched stretches of text between and around the spans:

1. `validate` returns exactly the given spans, sorted by start.
2. The result is gap_0 + replacement_1 + gap_1 + ... + replacement_n + gap_n: each gap and each
   replacement sits at the offset predicted from the lengths before it (offsets stay valid, and
   untouched text keeps its order).
3. Every character of the result comes from a gap or a replacement (as a multiset). So a
   character that occurs only inside redacted spans, in no gap and no replacement, never occurs
   in the result, and no span whose text holds such a character survives as a substring. (A
   span's text *can* reappear when the same text is also untouched elsewhere, or when a gap and
   a replacement happen to spell it; that is why the property is stated over characters.)
4. Spans that overlap (share a code point), leave the text, are empty, or carry a replacement
   over 200 characters are refused with RedactionError, in any order.
5. Through the API, a redact decision with arbitrary valid spans delivers exactly
   `apply(text, spans)` to the recipient, with offsets in code points.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from typing import Any

import pytest
import requests
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from moderation.redaction import MAX_REPLACEMENT, RedactionError, Span, apply, validate
from tests.hardening.conftest import LiveServer, Seeded, seed_world

# Astral characters, combining marks and controls: offsets are code points, not UTF-16 units.
TEXT = st.text(st.characters(exclude_categories=["Cs"]), min_size=1, max_size=120)
REPLACEMENT = st.text(st.characters(exclude_categories=["Cs"]), max_size=12)


@st.composite
def text_and_spans(draw: st.DrawFn, text: st.SearchStrategy[str] = TEXT) -> tuple[str, list[Span]]:
    """A text and valid spans over it, in a random order."""
    value = draw(text)
    spans = []
    cursor = 0
    while cursor < len(value) and draw(st.booleans()):
        start = draw(st.integers(cursor, len(value) - 1))
        end = draw(st.integers(start + 1, len(value)))
        if draw(st.booleans()):
            spans.append(Span(start, end, draw(REPLACEMENT)))
        else:
            spans.append(Span(start, end))  # the default "[removed]"
        cursor = end  # the next span may touch this one, never overlap it
    return value, draw(st.permutations(spans))


def pieces(text: str, spans: list[Span]) -> tuple[list[str], list[str]]:
    ordered = sorted(spans, key=lambda s: s.start)
    bounds = [0, *[x for s in ordered for x in (s.start, s.end)], len(text)]
    gaps = [text[bounds[i] : bounds[i + 1]] for i in range(0, len(bounds), 2)]
    return gaps, [s.replacement for s in ordered]


@given(text_and_spans())
def test_validate_returns_the_same_spans_sorted(case: tuple[str, list[Span]]) -> None:
    text, spans = case
    ordered = validate(text, spans)
    assert Counter(ordered) == Counter(spans)
    assert [s.start for s in ordered] == sorted(s.start for s in spans)


@given(text_and_spans())
def test_gaps_and_replacements_sit_at_the_predicted_offsets(case: tuple[str, list[Span]]) -> None:
    text, spans = case
    result = apply(text, spans)
    gaps, replacements = pieces(text, spans)
    at = 0
    for gap, replacement in zip(gaps, [*replacements, ""], strict=True):
        assert result[at : at + len(gap)] == gap
        at += len(gap)
        assert result[at : at + len(replacement)] == replacement
        at += len(replacement)
    assert at == len(result)
    removed = sum(s.end - s.start for s in spans)
    assert len(result) == len(text) - removed + sum(map(len, replacements))


@given(text_and_spans())
def test_no_character_of_a_span_survives_unless_kept_elsewhere(
    case: tuple[str, list[Span]],
) -> None:
    text, spans = case
    result = apply(text, spans)
    gaps, replacements = pieces(text, spans)
    assert Counter(result) == sum(map(Counter, gaps + replacements), Counter())
    only_in_spans = (
        {c for s in spans for c in text[s.start : s.end]}
        - set("".join(gaps))
        - set("".join(replacements))
    )
    assert not only_in_spans & set(result)
    for span in spans:
        secret = text[span.start : span.end]
        if set(secret) & only_in_spans:
            assert secret not in result


@given(text_and_spans(text=st.text("0123456789", min_size=1, max_size=60)))
def test_a_text_redacted_whole_keeps_none_of_it(case: tuple[str, list[Span]]) -> None:
    text, _ = case
    assert apply(text, [Span(0, len(text), "[x]")]) == "[x]"
    assert apply(text, [Span(0, len(text), "")]) == ""


@given(text_and_spans())
def test_no_spans_change_nothing(case: tuple[str, list[Span]]) -> None:
    text, _ = case
    assert apply(text, []) == text


@st.composite
def overlapping(draw: st.DrawFn) -> tuple[str, list[Span]]:
    text, spans = draw(text_and_spans(text=st.text(min_size=2, max_size=80)))
    a_start = draw(st.integers(0, len(text) - 1))
    a_end = draw(st.integers(a_start + 1, len(text)))
    shared = draw(st.integers(a_start, a_end - 1))  # a code point both spans cover
    b_start = draw(st.integers(0, shared))
    b_end = draw(st.integers(shared + 1, len(text)))
    return text, draw(st.permutations([*spans, Span(a_start, a_end), Span(b_start, b_end)]))


@given(overlapping())
def test_overlapping_spans_are_refused_in_any_order(case: tuple[str, list[Span]]) -> None:
    text, spans = case
    with pytest.raises(RedactionError):
        validate(text, spans)
    with pytest.raises(RedactionError):
        apply(text, spans)


@given(
    st.text(max_size=50),
    st.integers(-5, 60),
    st.integers(-5, 60),
)
def test_spans_outside_the_text_or_empty_are_refused(text: str, start: int, end: int) -> None:
    valid = 0 <= start < end <= len(text)
    if valid:
        assert apply(text, [Span(start, end, "")]) == text[:start] + text[end:]
    else:
        with pytest.raises(RedactionError):
            apply(text, [Span(start, end)])


@given(TEXT, st.integers(MAX_REPLACEMENT + 1, MAX_REPLACEMENT + 50))
def test_a_replacement_over_the_limit_is_refused(text: str, size: int) -> None:
    with pytest.raises(RedactionError):
        apply(text, [Span(0, 1, "x" * size)])
    assert apply(text, [Span(0, 1, "x" * MAX_REPLACEMENT)]).startswith("x" * MAX_REPLACEMENT)


# Through the API -----------------------------------------------------------------------------

# Letters as people write them; enough variety to move offsets (astral, combining, RTL), no
# lone surrogates (the API refuses those) and never only whitespace (an empty letter is 422).
LETTER = st.text(
    st.characters(exclude_categories=["Cs", "Cc"]) | st.sampled_from("\n\t"), min_size=1
).filter(lambda t: t.strip())


class Http:
    def __init__(self, server: LiveServer) -> None:
        self.base = server.base
        self.session = requests.Session()
        self.world: Seeded = seed_world(self.base, self.session, label="CR/redact")

    def call(self, method: str, path: str, token: str, payload: Any = None) -> Any:
        response = self.session.request(
            method,
            self.base + path,
            json=payload,
            headers={"Authorization": f"Bearer {token}"},
            timeout=30,
        )
        assert response.status_code in (200, 201), (path, response.text)
        return response.json()


@pytest.fixture(scope="module")
def http(live_server: LiveServer) -> Iterator[Http]:
    client = Http(live_server)
    yield client
    client.session.close()


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(text_and_spans(text=LETTER.filter(lambda t: len(t) <= 300)))
def test_a_redact_decision_delivers_exactly_the_redacted_text(
    http: Http, case: tuple[str, list[Span]]
) -> None:
    text, spans = case
    world = http.world
    item = http.call("POST", "/me/items", world.responsible, {"kind": "letter", "body": text})
    detail = http.call("GET", f"/items/{item['id']}", world.specialist)
    assert detail["text"] == text  # stored as sent: no normalisation that would move offsets
    decision: dict[str, Any] = {
        "action": "redact" if spans else "approve",
        "version": detail["version"],
        # Findings outside the spans are dismissed, so the decision is about the spans alone.
        "dismissed": [{"finding": f["id"], "reason": "checked"} for f in detail["findings"]],
        "redactions": [
            {"start": s.start, "end": s.end, "replacement": s.replacement} for s in spans
        ],
    }
    if not spans:
        del decision["redactions"]
    result = http.call("POST", f"/items/{item['id']}/decision", world.specialist, decision)
    assert result["state"] == "delivered"
    opened = http.call("POST", f"/me/items/{item['id']}/open", world.harmed)
    assert opened["text"] == apply(text, spans)
    sent = http.call("GET", "/me/items", world.responsible)["sent"]
    mine = next(entry for entry in sent if entry["id"] == item["id"])
    assert mine["text"] == text
    assert mine.get("delivered_text", text) == apply(text, spans)
