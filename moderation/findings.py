"""The result type shared by every detector."""

from __future__ import annotations

from dataclasses import dataclass

KINDS = frozenset(
    {"phone", "email", "url", "address", "postcode", "handle", "name", "known", "risk"}
)


@dataclass(frozen=True, slots=True, order=True)
class Finding:
    """A span of `text` that a practitioner should look at before approving.

    `start`/`end` are Unicode code-point offsets (Python string indices), end exclusive.
    """

    start: int
    end: int
    kind: str

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"unknown finding kind {self.kind!r}")
        if not 0 <= self.start < self.end:
            raise ValueError(f"empty or negative span {self.start}..{self.end}")
