"""What practitioners send: sign-in, cases, participants, gates, paper letters, decisions."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Literal

from pydantic import Field

from moderation import redaction
from relay.domain import decisions
from relay.domain.items import MAX_CONTENT_NOTE, MAX_NOTE
from relay.domain.participants import VAULT_FIELDS
from relay.domain.views import QUEUE_STATES
from relay.inputs.fields import Id, Input, Kind, NonBlank, QueryInt, Text, one_of

if TYPE_CHECKING:
    QueueState = str
else:
    QueueState = one_of(sorted(QUEUE_STATES))

MAX_SPANS = 500  # redactions (or dismissals) in one decision
Notes = Annotated[str, Field(max_length=MAX_NOTE)]
VaultText = Annotated[str, Field(description="Contact detail (vault only).")]


class Login(Input):
    username: Annotated[str, Field(min_length=1, max_length=64)]
    password: Annotated[str, Field(min_length=1, max_length=1024)]


class NewPractitioner(Input):
    username: Annotated[str, Field(min_length=3, max_length=64)]
    password: Annotated[str, Field(min_length=10, max_length=1024)]
    role: Literal["specialist", "volunteer"]
    display_name: Annotated[str, Field(min_length=1, max_length=100)]


class NewCase(Input):
    crime_reference: Annotated[str, Field(min_length=1, max_length=100)]
    modality: Literal["conference", "letters", "shuttle"]
    risk_level: Literal["high", "standard"]


class Assign(Input):
    practitioner: Annotated[Id, Field(description="A username.")]


class NewParticipant(Input):
    role: Literal["harmed", "responsible", "supporter"]
    alias: Annotated[str, Field(min_length=1, max_length=40)]
    name: Annotated[VaultText, Field(max_length=200)]
    email: Annotated[VaultText, Field(max_length=320)]
    phone: Annotated[VaultText, Field(max_length=50)]
    address: Annotated[VaultText, Field(max_length=500)]
    supports: Annotated[
        Annotated[str, Field(max_length=64)] | None,
        Field(description="For a supporter: the id of the principal they support."),
    ] = None

    def vault(self) -> dict[str, str]:
        """The contact details, for the encrypted vault only."""
        return {name: getattr(self, name) for name in VAULT_FIELDS}


class Consent(Input):
    given: bool


class NewAssessment(Input):
    outcome: Literal["safe", "unsafe"]
    notes: Notes


class SupporterAccess(Input):
    read: bool


class Admission(Input):
    notes: Notes


class PaperLetter(Input):
    on_behalf_of: Annotated[Id, Field(description="A participant id of the case.")]
    kind: Kind
    body: Text


class Span(Input):
    """A passage to replace: code-point offsets into the item's current text."""

    start: Annotated[int, Field(ge=0, description="Where the passage starts.")]
    end: Annotated[
        int,
        Field(
            ge=1,
            description="Exclusive; spans may not overlap or pass the end of the text (422).",
        ),
    ]
    replacement: Annotated[str, Field(max_length=redaction.MAX_REPLACEMENT)] = (
        redaction.DEFAULT_REPLACEMENT
    )


class Dismissal(Input):
    finding: Annotated[str, Field(min_length=1, max_length=20, description="A finding id.")]
    reason: Annotated[str, Field(min_length=1, max_length=500), NonBlank]


class Decision(Input):
    action: Literal["approve", "countersign", "redact", "reject", "return"]
    version: Annotated[
        int, Field(ge=1, description="The item's current version; any other answers 409.")
    ]
    redactions: Annotated[list[Span], Field(default_factory=list, max_length=MAX_SPANS)]
    dismissed: Annotated[list[Dismissal], Field(default_factory=list, max_length=MAX_SPANS)]
    note: Annotated[
        str, Field(max_length=MAX_NOTE, description="Required (non-blank) for return and reject.")
    ] = ""
    content_note: Annotated[
        str, Field(max_length=MAX_CONTENT_NOTE, description="Shown to the recipient unopened.")
    ] = ""

    def to_domain(self) -> decisions.Decision:
        given = self.model_fields_set
        return decisions.Decision(
            action=self.action,
            version=self.version,
            redactions=[redaction.Span(r.start, r.end, r.replacement) for r in self.redactions],
            dismissed={d.finding: d.reason for d in self.dismissed},
            note=self.note if "note" in given else None,
            content_note=self.content_note if "content_note" in given else None,
        )


class QueueQuery(Input):
    """The query of GET /queue."""

    case: Annotated[str, Field(max_length=64, description="Only this case's items.")] | None = None
    state: (
        Annotated[
            QueueState, Field(description="Items in this state (default: pending and countersign).")
        ]
        | None
    ) = None
    limit: Annotated[int, Field(ge=1, le=200, description="At most this many (50)."), QueryInt] = 50
