"""What practitioners send in the daily workflow: saved reasons, closing, the conference."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Annotated, Literal

from pydantic import Field

from relay.domain import conference
from relay.domain.cases import OUTCOMES
from relay.domain.conference import STEPS
from relay.inputs.fields import Day, Id, Input, Minute, one_of

if TYPE_CHECKING:
    Outcome = str
    Step = str
else:
    Outcome = one_of(OUTCOMES)
    Step = one_of(STEPS)

MAX_REASON = 500
MAX_REASONS = 100


class Reason(Input):
    purpose: Literal["reject", "return"]
    text: Annotated[str, Field(min_length=1, max_length=MAX_REASON)]


class Reasons(Input):
    reasons: Annotated[list[Reason], Field(max_length=MAX_REASONS)]


class Close(Input):
    outcomes: Annotated[list[Outcome], Field(default_factory=list, max_length=len(OUTCOMES))]
    agreement_terms: Annotated[
        str, Field(max_length=2000, description="The terms, when the outcome is an agreement.")
    ] = ""


class Meeting(Input):
    starts_at: Annotated[Minute, Field(description="Local time like 2026-05-14T10:30.")]
    venue: Annotated[str, Field(min_length=1, max_length=200)]
    attendees: Annotated[
        list[Id], Field(min_length=1, max_length=10, description="Participant ids.")
    ]
    practitioners: Annotated[
        list[Id], Field(default_factory=list, max_length=10, description="Usernames.")
    ]
    notes: Annotated[str, Field(max_length=2000)] = ""

    def to_domain(self) -> conference.Meeting:
        return conference.Meeting(
            starts_at=datetime.strptime(self.starts_at, "%Y-%m-%dT%H:%M"),
            venue=self.venue.strip(),
            attendees=tuple(dict.fromkeys(self.attendees)),
            practitioners=tuple(dict.fromkeys(self.practitioners)),
            notes=self.notes,
        )


class MeetConsent(Input):
    given: bool


class Preparation(Input):
    step: Step
    done_on: Annotated[Day, Field(description="A date.")]
