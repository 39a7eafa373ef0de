"""The shapes of the API's JSON answers, for the OpenAPI document (relay/api/openapi.py).

Handlers answer the domain's plain dicts; these TypedDicts describe them. They are open (an
answer may gain fields; DESIGN: nothing is renamed), and the schemathesis run in
tests/hardening checks every answer against them, so a drift shows up as a failure.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any, Literal, NotRequired

from pydantic import Field
from typing_extensions import TypedDict

from relay.domain.attachments import EXTENSIONS
from relay.domain.gates import GATES
from relay.domain.views import QUEUE_STATES
from relay.inputs.fields import Kind, one_of
from relay.inputs.party import DeliveryWindow

if TYPE_CHECKING:
    ItemState = str
    MediaType = str
    Gate = str
else:
    ItemState = one_of(sorted(QUEUE_STATES))
    MediaType = one_of(sorted(EXTENSIONS))
    Gate = one_of(GATES)

CaseStatus = Literal["intake", "active", "paused", "closed", "withdrawn"]
Role = Literal["harmed", "responsible", "supporter"]
StaffRole = Literal["specialist", "volunteer"]
Positive = Annotated[int, Field(ge=1)]
Count = Annotated[int, Field(ge=0)]


class Problem(TypedDict):
    """RFC 9457 problem details; some carry extra members (`field`, `fields`, `missing`,
    `unresolved`, `current_version`, `claimed`)."""

    type: NotRequired[str]
    status: Annotated[int, Field(ge=400, le=599)]
    title: str
    detail: str


class Token(TypedDict):
    token: str
    role: Literal[StaffRole, Role]


class Activated(TypedDict):
    token: str
    login: str


class Practitioner(TypedDict):
    id: str
    username: str
    role: StaffRole


class CaseSummary(TypedDict):
    id: str
    status: CaseStatus
    modality: Literal["conference", "letters", "shuttle"]
    risk_level: Literal["high", "standard"]


class CaseList(TypedDict):
    cases: list[CaseSummary]


class CaseCreated(TypedDict):
    id: str
    status: CaseStatus


class CaseParticipant(TypedDict):
    id: str
    role: Role
    alias: str
    supports: str | None


class CaseDetail(CaseSummary):
    gates: dict[Gate, bool]
    missing: list[Gate]
    participants: list[CaseParticipant]


class Assigned(TypedDict):
    case_id: str
    assigned: str


class ParticipantAdded(TypedDict):
    id: str
    role: Role
    alias: str
    invite_code: str


class Contact(TypedDict):
    name: str
    email: str
    phone: str
    address: str


class ConsentRecorded(TypedDict):
    participant: str
    consent: bool


class AssessmentRecorded(TypedDict):
    id: str
    outcome: Literal["safe", "unsafe"]
    case_status: CaseStatus


class SupporterAccessRecorded(TypedDict):
    participant: str
    supporter_read: bool


class AdmissionRecorded(TypedDict):
    case_id: str
    admission: Literal[True]


class MeetConsentRecorded(TypedDict):
    participant: str
    meet_consent: bool


class CaseStatusView(TypedDict):
    id: str
    status: CaseStatus


class Requeued(TypedDict):
    id: str
    requeued: Positive


class ItemCreated(TypedDict):
    id: str
    state: Literal["pending"]
    version: NotRequired[Literal[1]]


class Finding(TypedDict):
    id: str
    start: Count
    end: Positive
    kind: Literal["phone", "email", "url", "address", "postcode", "handle", "name", "known", "risk"]


class AttachmentListing(TypedDict):
    n: Positive
    media_type: MediaType
    size: Count


class QueueItem(TypedDict):
    id: str
    case_id: str
    kind: Kind
    state: ItemState
    version: Positive
    text: str
    findings: list[Finding]
    waiting_since: NotRequired[str]
    claimed_by: NotRequired[str | None]
    claimed_until: NotRequired[str | None]
    attachments: NotRequired[list[AttachmentListing]]


class Queue(TypedDict):
    items: list[QueueItem]


class HistoryEntry(TypedDict):
    at: str
    actor: str
    action: str
    details: Any


class ItemDetail(QueueItem):
    author_role: Role
    original: str
    history: list[HistoryEntry]


class DecisionResult(TypedDict):
    id: str
    state: ItemState
    version: Annotated[int, Field(ge=2)]


class Claim(TypedDict):
    id: str
    claimed_by: str | None
    claimed_until: str | None


class AuditEvent(TypedDict):
    seq: Positive
    at: str
    actor: str
    action: str
    case_id: str | None
    subject: str | None
    details: dict[str, Any]


class AuditEvents(TypedDict):
    events: list[AuditEvent]


class ReasonList(TypedDict):
    reasons: list[dict[str, Any]]


class MyCase(TypedDict):
    status: Literal["on_hold", "active", "ended", "withdrawn"]
    other_party_alias: str | None


class Me(TypedDict):
    alias: str
    role: Role
    case: MyCase


class SentItem(TypedDict):
    id: str
    kind: Kind
    state: Literal[
        "pending", "returned", "rejected", "approved", "delivered", "not_delivered", "opened"
    ]
    text: str
    delivered_text: NotRequired[str]
    note: NotRequired[str]


class ReceivedItem(TypedDict):
    id: str
    kind: Kind
    state: Literal["waiting", "opened", "declined"]
    from_alias: str
    delivered_on: Annotated[str, Field(json_schema_extra={"format": "date"})]
    content_note: NotRequired[str]
    text: NotRequired[str]


class MyItems(TypedDict):
    sent: list[SentItem]
    received: list[ReceivedItem]


class Written(TypedDict):
    id: str
    state: Literal["pending"]


class Withdrawn(TypedDict):
    status: Literal["withdrawn"]


class PreferencesView(TypedDict):
    read_receipts: bool
    delivery_window: DeliveryWindow | None


class AttachmentAdded(TypedDict):
    item_id: str
    n: Positive
    media_type: MediaType
    size: Count
    version: Annotated[int, Field(ge=2)]


class AttachmentRemoved(TypedDict):
    item_id: str
    n: Positive
    version: int
