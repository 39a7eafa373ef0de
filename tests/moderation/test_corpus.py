"""Precision and recall per kind over the labelled corpus in tests/data/contact_corpus.tsv.

How a line counts (the corpus header says the same):
- each labelled span `kind=substring` is *found* when some predicted finding of that kind
  overlaps it; recall = found labelled spans / labelled spans, per kind;
- each predicted finding is *correct* when it overlaps a labelled span of its kind on the same
  line; precision = correct findings / findings, per kind. Hard-negative lines have no labels,
  so every finding on them is a false positive.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import pytest

from moderation import find_contact_details

CORPUS = Path(__file__).resolve().parents[1] / "data" / "contact_corpus.tsv"
KINDS = ("phone", "email", "url", "address", "postcode", "handle", "name", "known")
MIN_RECALL = 0.95
MIN_PRECISION = 0.90


def _unescape(value: str) -> str:
    value = re.sub(r"\\u([0-9a-fA-F]{4})", lambda m: chr(int(m.group(1), 16)), value)
    return value.replace("\\n", "\n").replace("\\t", "\t")


@dataclass(frozen=True)
class Case:
    line: int
    text: str
    known: tuple[str, ...]
    labels: tuple[tuple[str, int, int], ...]


def load_corpus() -> list[Case]:
    cases = []
    for number, raw in enumerate(CORPUS.read_text(encoding="utf-8").splitlines(), 1):
        if not raw.strip() or raw.startswith("#"):
            continue
        label_field, known_field, text_field = raw.split("\t")
        text = _unescape(text_field)
        known = () if known_field == "-" else tuple(_unescape(k) for k in known_field.split(" ;; "))
        labels = []
        if label_field != "-":
            for item in label_field.split(" ;; "):
                kind, _, substring = item.partition("=")
                substring = _unescape(substring)
                start = text.find(substring)
                assert kind in KINDS, f"line {number}: unknown kind {kind!r}"
                assert start >= 0, f"line {number}: {substring!r} is not in the text"
                labels.append((kind, start, start + len(substring)))
        cases.append(Case(number, text, known, tuple(labels)))
    return cases


@dataclass
class Tally:
    labelled: int = 0
    found: int = 0
    predicted: int = 0
    correct: int = 0

    @property
    def recall(self) -> float:
        return self.found / self.labelled if self.labelled else 1.0

    @property
    def precision(self) -> float:
        return self.correct / self.predicted if self.predicted else 1.0


def _overlaps(a_start: int, a_end: int, b_start: int, b_end: int) -> bool:
    return a_start < b_end and b_start < a_end


def score(cases: list[Case]) -> tuple[dict[str, Tally], list[str]]:
    tallies = {kind: Tally() for kind in KINDS}
    misses: list[str] = []
    for case in cases:
        findings = find_contact_details(case.text, case.known)
        for kind, start, end in case.labels:
            tallies[kind].labelled += 1
            if any(f.kind == kind and _overlaps(f.start, f.end, start, end) for f in findings):
                tallies[kind].found += 1
            else:
                misses.append(f"line {case.line}: missed {kind} {case.text[start:end]!r}")
        for f in findings:
            tallies[f.kind].predicted += 1
            if any(k == f.kind and _overlaps(f.start, f.end, s, e) for k, s, e in case.labels):
                tallies[f.kind].correct += 1
            else:
                misses.append(f"line {case.line}: false {f.kind} {case.text[f.start : f.end]!r}")
    return tallies, misses


def table(tallies: dict[str, Tally]) -> str:
    rows = [
        f"{'kind':<9} {'labelled':>8} {'found':>6} {'recall':>7} {'predicted':>9} {'precision':>9}"
    ]
    for kind, t in tallies.items():
        rows.append(
            f"{kind:<9} {t.labelled:>8} {t.found:>6} {t.recall:>7.3f} {t.predicted:>9} "
            f"{t.precision:>9.3f}"
        )
    return "\n".join(rows)


@pytest.fixture(scope="module")
def corpus_score() -> tuple[dict[str, Tally], list[str]]:
    return score(load_corpus())


def test_corpus_is_large_enough() -> None:
    cases = load_corpus()
    assert len(cases) >= 300
    assert sum(1 for c in cases if not c.labels) >= 100  # hard negatives
    assert sum(1 for c in cases if c.known) >= 20  # vault cases


def test_precision_and_recall_per_kind(
    corpus_score: tuple[dict[str, Tally], list[str]], capsys: pytest.CaptureFixture[str]
) -> None:
    tallies, misses = corpus_score
    with capsys.disabled():
        print("\ncontact corpus: precision and recall per kind")
        print(table(tallies))
        for miss in misses:
            print("  " + miss)
    for kind, t in tallies.items():
        assert t.labelled > 0, f"no labelled {kind} cases"
        assert t.recall >= MIN_RECALL, f"{kind} recall {t.recall:.3f}"
        assert t.precision >= MIN_PRECISION, f"{kind} precision {t.precision:.3f}"
