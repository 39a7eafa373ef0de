"""The OpenAPI 3.1 description of the JSON API, served at GET /api/v1/openapi.json (no sign-in).

Request schemas are derived from the field definitions the handlers validate with
(`relay.api.validation.F`): `additionalProperties: false`, `required`, `enum`, length and range
limits say exactly what answers 422. Where a handler declares its fields inline, the same `F`
definitions are repeated here; tests/hardening checks every registered route is described and
fuzzes the running app against this document (schemathesis), so a drift shows up as a failure.

Each operation carries `x-relay-caller` (`anyone`, `signed-in`, `staff`, `specialist`,
`participant`): whose token the operation is meant for. Others get 403 (or 404 for objects
outside their reach).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cache
from typing import Any

from aiohttp import web

from relay.api.idempotency import MAX_KEY
from relay.api.party import PASSPHRASE, WINDOW
from relay.api.staff import (
    CASE,
    DECISION,
    DISMISSAL,
    LOGIN,
    PARTICIPANT,
    PRACTITIONER,
    SPAN,
    TEXT,
)
from relay.api.validation import F, choice
from relay.api.workflow import CLOSE, MEETING, REASON
from relay.domain import attachments, conference, workflow
from relay.domain.gates import GATES
from relay.domain.items import MAX_NOTE
from relay.domain.views import QUEUE_STATES

Schema = dict[str, Any]

# Inline field definitions of handlers in staff.py / party.py (kept identical to them).
ASSIGN = {"practitioner": F(str, min_len=1, max_len=64)}
CONSENT = {"given": F(bool)}
ASSESSMENT = {
    "outcome": F(str, choices=choice("safe", "unsafe")),
    "notes": F(str, max_len=MAX_NOTE),
}
SUPPORTER_ACCESS = {"read": F(bool)}
ADMISSION = {"notes": F(str, max_len=MAX_NOTE)}
PAPER_LETTER = {
    "on_behalf_of": F(str, min_len=1, max_len=64),
    "kind": F(str, choices=choice("letter", "message")),
    "body": TEXT,
}
PARTY_ACTIVATE = {"code": F(str, min_len=1, max_len=64), "passphrase": PASSPHRASE}
PARTY_LOGIN = {"login": F(str, min_len=1, max_len=64), "passphrase": F(str, max_len=1024)}
WRITE = {"kind": F(str, choices=choice("letter", "message")), "body": TEXT}
REVISE = {"body": TEXT}
PREFERENCES = {"read_receipts": F(bool), "delivery_window": F(dict, nullable=True)}
REASONS = {"reasons": F(list, max_len=100)}
MEET_CONSENT = {"given": F(bool)}
PREPARATION = {"step": F(str, choices=frozenset(conference.STEPS)), "done_on": F(str, max_len=10)}

MAX_BODY = 256 * 1024  # relay.app.MAX_BODY (importing it here would be circular)
_JSON_TYPES = {str: "string", int: "integer", bool: "boolean", list: "array", dict: "object"}
HHMM = r"^([01][0-9]|2[0-3]):[0-5][0-9]$"


def ref(name: str) -> Schema:
    return {"$ref": f"#/components/schemas/{name}"}


def field_schema(spec: F) -> Schema:
    """The JSON Schema of one validated field (its limits as `check_value` enforces them)."""
    kinds = spec.type if isinstance(spec.type, tuple) else (spec.type,)
    names: list[str] = [_JSON_TYPES[kind] for kind in kinds]
    if spec.nullable:
        names.append("null")
    schema: Schema = {"type": names[0] if len(names) == 1 else names}
    if spec.choices is not None:
        schema["enum"] = sorted(spec.choices, key=str) + ([None] if spec.nullable else [])
    if str in kinds:
        if spec.max_len is not None:
            schema["maxLength"] = spec.max_len
        if spec.min_len:
            schema["minLength"] = spec.min_len
    if list in kinds:
        if spec.max_len is not None:
            schema["maxItems"] = spec.max_len
        if spec.min_len:
            schema["minItems"] = spec.min_len
    if int in kinds:
        if spec.min_value is not None:
            schema["minimum"] = spec.min_value
        if spec.max_value is not None:
            schema["maximum"] = spec.max_value
    return schema


def object_schema(
    fields: Mapping[str, F],
    extra: Mapping[str, Schema] | None = None,
    descriptions: Mapping[str, str] | None = None,
) -> Schema:
    """A closed object: unknown fields, missing required ones or a wrong type answer 422."""
    properties: Schema = {}
    for name, spec in fields.items():
        schema = field_schema(spec)
        schema.update((extra or {}).get(name, {}))
        if descriptions and name in descriptions:
            schema["description"] = descriptions[name]
        properties[name] = schema
    result: Schema = {
        "type": "object",
        "properties": properties,
        "additionalProperties": False,
    }
    required = [name for name, spec in fields.items() if spec.required]
    if required:
        result["required"] = required
    return result


def _open_object(properties: Schema, required: list[str] | None = None) -> Schema:
    """A response object: it may gain fields later (DESIGN: nothing is renamed)."""
    schema: Schema = {"type": "object", "properties": properties}
    schema["required"] = list(properties) if required is None else required
    return schema


STRING = {"type": "string"}
NULLABLE_STRING = {"type": ["string", "null"]}
INTEGER = {"type": "integer"}
BOOLEAN = {"type": "boolean"}
CASE_STATUS = {"enum": ["intake", "active", "paused", "closed", "withdrawn"]}
ITEM_STATE = {"enum": sorted(QUEUE_STATES)}
KIND = {"enum": ["letter", "message"]}
ROLE = {"enum": ["harmed", "responsible", "supporter"]}
STAFF_ROLE = {"enum": ["specialist", "volunteer"]}


def _schemas() -> Schema:
    text_note = (
        "At most 20,000 characters (413 beyond); must contain something other than spaces (422)."
    )
    finding = _open_object(
        {
            "id": STRING,
            "start": {"type": "integer", "minimum": 0},
            "end": {"type": "integer", "minimum": 1},
            "kind": {
                "enum": [
                    "phone",
                    "email",
                    "url",
                    "address",
                    "postcode",
                    "handle",
                    "name",
                    "known",
                    "risk",
                ]
            },
        }
    )
    listing = _open_object(
        {
            "n": {"type": "integer", "minimum": 1},
            "media_type": {"enum": sorted(attachments.EXTENSIONS)},
            "size": {"type": "integer", "minimum": 0},
        }
    )
    queue_item = _open_object(
        {
            "id": STRING,
            "case_id": STRING,
            "kind": KIND,
            "state": ITEM_STATE,
            "version": {"type": "integer", "minimum": 1},
            "text": STRING,
            "findings": {"type": "array", "items": ref("Finding")},
            "waiting_since": STRING,
            "claimed_by": NULLABLE_STRING,
            "claimed_until": NULLABLE_STRING,
            "attachments": {"type": "array", "items": ref("AttachmentListing")},
        },
        required=["id", "case_id", "kind", "state", "version", "text", "findings"],
    )
    item_detail = {
        "allOf": [
            ref("QueueItem"),
            _open_object(
                {
                    "author_role": ROLE,
                    "original": STRING,
                    "history": {
                        "type": "array",
                        "items": _open_object(
                            {"at": STRING, "actor": STRING, "action": STRING, "details": {}}
                        ),
                    },
                }
            ),
        ]
    }
    window = object_schema(
        WINDOW,
        extra={
            "days": {"items": {"type": "integer", "minimum": 1, "maximum": 7}},
            "start": {"pattern": HHMM},
            "end": {"pattern": HHMM},
        },
        descriptions={
            "days": "ISO weekdays, 1 (Monday) to 7.",
            "start": "HH:MM in the hub's time zone.",
            "end": "HH:MM, exclusive; after `start` (else 422).",
        },
    )
    return {
        "Problem": {
            "type": "object",
            "description": "RFC 9457 problem details; some carry extra members "
            "(`field`, `fields`, `missing`, `unresolved`, `current_version`, `claimed`).",
            "properties": {
                "type": STRING,
                "status": {"type": "integer", "minimum": 400, "maximum": 599},
                "title": STRING,
                "detail": STRING,
            },
            "required": ["status", "title", "detail"],
        },
        # Requests
        "Login": object_schema(LOGIN),
        "NewPractitioner": object_schema(PRACTITIONER),
        "NewCase": object_schema(CASE),
        "Assign": object_schema(ASSIGN, descriptions={"practitioner": "A username."}),
        "NewParticipant": object_schema(
            PARTICIPANT,
            descriptions={
                "name": "Contact detail (vault only).",
                "email": "Contact detail (vault only).",
                "phone": "Contact detail (vault only).",
                "address": "Contact detail (vault only).",
                "supports": "For a supporter: the id of the principal they support.",
            },
        ),
        "Consent": object_schema(CONSENT),
        "NewAssessment": object_schema(ASSESSMENT),
        "SupporterAccess": object_schema(SUPPORTER_ACCESS),
        "Admission": object_schema(ADMISSION),
        "PaperLetter": object_schema(
            PAPER_LETTER,
            descriptions={"on_behalf_of": "A participant id of the case.", "body": text_note},
        ),
        "Span": object_schema(
            SPAN,
            descriptions={
                "start": "Code-point offset into the item's current text.",
                "end": "Exclusive; spans may not overlap or pass the end of the text (422).",
            },
        ),
        "Dismissal": object_schema(DISMISSAL, descriptions={"finding": "A finding id, e.g. `f1`."}),
        "Decision": object_schema(
            DECISION,
            extra={
                "redactions": {"items": ref("Span")},
                "dismissed": {"items": ref("Dismissal")},
            },
            descriptions={
                "version": "The item's current version; any other answers 409.",
                "note": "Required (non-blank) for return and reject.",
            },
        ),
        "PartyActivate": object_schema(PARTY_ACTIVATE),
        "PartyLogin": object_schema(PARTY_LOGIN),
        "NewItem": object_schema(WRITE, descriptions={"body": text_note}),
        "Revision": object_schema(REVISE, descriptions={"body": text_note}),
        "DeliveryWindow": window,
        "Preferences": object_schema(
            PREFERENCES,
            extra={"delivery_window": {"oneOf": [ref("DeliveryWindow"), {"type": "null"}]}},
            descriptions={"delivery_window": "null: any time."},
        ),
        "Reason": object_schema(REASON),
        "Reasons": object_schema(REASONS, extra={"reasons": {"items": ref("Reason")}}),
        "Close": object_schema(
            CLOSE,
            extra={"outcomes": {"items": {"enum": list(workflow.OUTCOMES)}}},
            descriptions={"agreement_terms": "The terms, when the outcome is an agreement."},
        ),
        "Meeting": object_schema(
            MEETING,
            extra={
                "starts_at": {"pattern": r"^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}$"},
                "attendees": {"items": {"type": "string", "minLength": 1, "maxLength": 64}},
                "practitioners": {"items": {"type": "string", "minLength": 1, "maxLength": 64}},
            },
            descriptions={
                "starts_at": "Local time like 2026-05-14T10:30.",
                "attendees": "Participant ids.",
                "practitioners": "Practitioner usernames.",
            },
        ),
        "MeetConsent": object_schema(MEET_CONSENT),
        "Preparation": object_schema(
            PREPARATION, extra={"done_on": {"format": "date"}}, descriptions={"done_on": "A date."}
        ),
        # Responses
        "Object": {"type": "object", "description": "A JSON object (see the pages' views)."},
        "ReasonList": _open_object({"reasons": {"type": "array", "items": {"type": "object"}}}),
        "MeetConsentRecorded": _open_object({"participant": STRING, "meet_consent": BOOLEAN}),
        "Token": _open_object(
            {"token": STRING, "role": {"enum": [*STAFF_ROLE["enum"], *ROLE["enum"]]}}
        ),
        "Activated": _open_object({"token": STRING, "login": STRING}),
        "Practitioner": _open_object({"id": STRING, "username": STRING, "role": STAFF_ROLE}),
        "CaseSummary": _open_object(
            {
                "id": STRING,
                "status": CASE_STATUS,
                "modality": {"enum": ["conference", "letters", "shuttle"]},
                "risk_level": {"enum": ["high", "standard"]},
            }
        ),
        "CaseList": _open_object({"cases": {"type": "array", "items": ref("CaseSummary")}}),
        "CaseCreated": _open_object({"id": STRING, "status": CASE_STATUS}),
        "CaseDetail": {
            "allOf": [
                ref("CaseSummary"),
                _open_object(
                    {
                        "gates": _open_object(dict.fromkeys(GATES, BOOLEAN)),
                        "missing": {"type": "array", "items": {"enum": list(GATES)}},
                        "participants": {
                            "type": "array",
                            "items": _open_object(
                                {
                                    "id": STRING,
                                    "role": ROLE,
                                    "alias": STRING,
                                    "supports": NULLABLE_STRING,
                                },
                            ),
                        },
                    }
                ),
            ]
        },
        "Assigned": _open_object({"case_id": STRING, "assigned": STRING}),
        "ParticipantAdded": _open_object(
            {"id": STRING, "role": ROLE, "alias": STRING, "invite_code": STRING}
        ),
        "Contact": _open_object(
            {"name": STRING, "email": STRING, "phone": STRING, "address": STRING}
        ),
        "ConsentRecorded": _open_object({"participant": STRING, "consent": BOOLEAN}),
        "AssessmentRecorded": _open_object(
            {"id": STRING, "outcome": {"enum": ["safe", "unsafe"]}, "case_status": CASE_STATUS}
        ),
        "SupporterAccessRecorded": _open_object({"participant": STRING, "supporter_read": BOOLEAN}),
        "AdmissionRecorded": _open_object({"case_id": STRING, "admission": {"const": True}}),
        "CaseStatus": _open_object({"id": STRING, "status": CASE_STATUS}),
        "ItemCreated": _open_object(
            {"id": STRING, "state": {"const": "pending"}, "version": {"const": 1}},
            required=["id", "state"],
        ),
        "Finding": finding,
        "AttachmentListing": listing,
        "QueueItem": queue_item,
        "Queue": _open_object({"items": {"type": "array", "items": ref("QueueItem")}}),
        "ItemDetail": item_detail,
        "DecisionResult": _open_object(
            {"id": STRING, "state": ITEM_STATE, "version": {"type": "integer", "minimum": 2}}
        ),
        "Claim": _open_object(
            {"id": STRING, "claimed_by": NULLABLE_STRING, "claimed_until": NULLABLE_STRING}
        ),
        "AuditEvents": _open_object(
            {
                "events": {
                    "type": "array",
                    "items": _open_object(
                        {
                            "seq": {"type": "integer", "minimum": 1},
                            "at": STRING,
                            "actor": STRING,
                            "action": STRING,
                            "case_id": NULLABLE_STRING,
                            "subject": NULLABLE_STRING,
                            "details": {"type": "object"},
                        }
                    ),
                }
            }
        ),
        "Me": _open_object(
            {
                "alias": STRING,
                "role": ROLE,
                "case": _open_object(
                    {
                        "status": {"enum": ["on_hold", "active", "ended", "withdrawn"]},
                        "other_party_alias": NULLABLE_STRING,
                    }
                ),
            }
        ),
        "SentItem": _open_object(
            {
                "id": STRING,
                "kind": KIND,
                "state": {
                    "enum": [
                        "pending",
                        "returned",
                        "rejected",
                        "approved",
                        "delivered",
                        "not_delivered",
                        "opened",
                    ]
                },
                "text": STRING,
                "delivered_text": STRING,
                "note": STRING,
            },
            required=["id", "kind", "state", "text"],
        ),
        "ReceivedItem": _open_object(
            {
                "id": STRING,
                "kind": KIND,
                "state": {"enum": ["waiting", "opened", "declined"]},
                "from_alias": STRING,
                "delivered_on": {"type": "string", "format": "date"},
                "content_note": STRING,
                "text": STRING,
            },
            required=["id", "kind", "state", "from_alias", "delivered_on"],
        ),
        "MyItems": _open_object(
            {
                "sent": {"type": "array", "items": ref("SentItem")},
                "received": {"type": "array", "items": ref("ReceivedItem")},
            }
        ),
        "Written": _open_object({"id": STRING, "state": {"const": "pending"}}),
        "Withdrawn": _open_object({"status": {"const": "withdrawn"}}),
        "PreferencesView": _open_object(
            {
                "read_receipts": BOOLEAN,
                "delivery_window": {"oneOf": [ref("DeliveryWindow"), {"type": "null"}]},
            }
        ),
        "AttachmentAdded": _open_object(
            {
                "item_id": STRING,
                "n": {"type": "integer", "minimum": 1},
                "media_type": {"enum": sorted(attachments.EXTENSIONS)},
                "size": {"type": "integer", "minimum": 0},
                "version": {"type": "integer", "minimum": 2},
            }
        ),
        "AttachmentRemoved": _open_object(
            {"item_id": STRING, "n": {"type": "integer", "minimum": 1}, "version": INTEGER}
        ),
    }


_ERROR_TEXT = {
    400: "Malformed JSON, invalid UTF-8 (lone surrogates included) or a missing body.",
    401: "No token, or an unknown, expired or revoked one; or wrong credentials.",
    403: "Signed in, but this role may never do this.",
    404: "No such object, or one outside the caller's reach (never which).",
    409: "Wrong state, stale version, missing gates, unresolved findings, a claim.",
    413: f"The body is over {MAX_BODY // 1024} KiB, or item text over 20,000 characters.",
    415: "The body is not sent as application/json.",
    422: "Validation failed: wrong type, missing or unknown field, value outside its set.",
    429: "Too many failed sign-ins; see Retry-After.",
    503: "The database cannot be written right now (read-only, disk full); see Retry-After.",
}


@dataclass(frozen=True, slots=True)
class Op:
    method: str
    path: str
    operation_id: str
    summary: str
    caller: str  # anyone | signed-in | staff | specialist | participant
    ok: int = 200
    result: str | None = None  # response schema name; None: no JSON body
    body: str | None = None  # request schema name
    body_required: bool = True
    conflicts: bool = True  # may answer 409
    tags: tuple[str, ...] = ()
    extra_errors: tuple[int, ...] = ()
    parameters: tuple[Schema, ...] = field(default_factory=tuple)
    request: Schema | None = None  # a non-JSON request body
    response: Schema | None = None  # a non-JSON success body


QUEUE_PARAMETERS = (
    {
        "name": "case",
        "in": "query",
        "required": False,
        "description": "Only this case's items.",
        "schema": {"type": "string", "maxLength": 64},
    },
    {
        "name": "state",
        "in": "query",
        "required": False,
        "description": "Items in this state (default: pending and countersign).",
        "schema": {"type": "string", "enum": sorted(QUEUE_STATES)},
    },
    {
        "name": "limit",
        "in": "query",
        "required": False,
        "schema": {"type": "integer", "minimum": 1, "maximum": 200, "default": 50},
    },
)
_UPLOAD = {
    "required": True,
    "description": "The file's bytes (a JPEG, PNG or PDF; the type is read from the content, "
    f"not the Content-Type). At most {attachments.MAX_BYTES // (1024 * 1024)} MiB.",
    "content": {
        media: {"schema": {"type": "string", "format": "binary"}}
        for media in ("application/octet-stream", *sorted(attachments.EXTENSIONS))
    },
}
_DOCUMENT = {
    "description": "This OpenAPI document.",
    "content": {"application/json": {"schema": {"type": "object"}}},
}
_DOWNLOAD = {
    "description": "The cleaned file, as a download under a neutral name.",
    "content": {
        media: {"schema": {"type": "string", "format": "binary"}}
        for media in sorted(attachments.EXTENSIONS)
    },
}

# One row per route of relay.api.setup_api_routes (tests/hardening checks none is missing).
# fmt: off
OPERATIONS: tuple[Op, ...] = (
    Op("GET", "/openapi.json", "openapi", "This document.", "anyone", conflicts=False,
       tags=("meta",), response=_DOCUMENT),
    # Sessions
    Op("POST", "/login", "login", "Practitioner sign-in.", "anyone", result="Token",
       body="Login", conflicts=False, tags=("sessions",), extra_errors=(429,)),
    Op("POST", "/logout", "logout", "End the session of the token used.", "signed-in", ok=204,
       conflicts=False, tags=("sessions",)),
    Op("POST", "/party/activate", "partyActivate", "Spend an invite code, choose a passphrase.",
       "anyone", ok=201, result="Activated", body="PartyActivate", conflicts=False,
       tags=("sessions",)),
    Op("POST", "/party/login", "partyLogin", "Participant sign-in with the login handle.",
       "anyone", result="Token", body="PartyLogin", conflicts=False, tags=("sessions",),
       extra_errors=(429,)),
    # Practitioners
    Op("POST", "/practitioners", "addPractitioner", "Add a practitioner.", "specialist", ok=201,
       result="Practitioner", body="NewPractitioner", tags=("staff",)),
    Op("POST", "/cases", "createCase", "Open a case.", "staff", ok=201, result="CaseCreated",
       body="NewCase", conflicts=False, tags=("staff",)),
    Op("GET", "/cases", "listCases", "The caller's cases.", "staff", result="CaseList",
       conflicts=False, tags=("staff",)),
    Op("GET", "/cases/{id}", "getCase", "A case, its gates and participants.", "staff",
       result="CaseDetail", conflicts=False, tags=("staff",)),
    Op("POST", "/cases/{id}/assign", "assign", "Assign a practitioner.", "specialist",
       result="Assigned", body="Assign", conflicts=False, tags=("staff",)),
    Op("POST", "/cases/{id}/participants", "addParticipant",
       "Add a participant; answers the one-time invite code.", "staff", ok=201,
       result="ParticipantAdded", body="NewParticipant", tags=("staff",)),
    Op("GET", "/cases/{id}/participants/{pid}/contact", "revealContact",
       "A participant's contact details (audited).", "staff", result="Contact",
       conflicts=False, tags=("staff",)),
    Op("POST", "/cases/{id}/participants/{pid}/consent", "consent", "Record consent.", "staff",
       result="ConsentRecorded", body="Consent", tags=("staff",)),
    Op("POST", "/cases/{id}/participants/{pid}/assessments", "assessment",
       "Record a risk assessment; `unsafe` pauses an active case.", "staff", ok=201,
       result="AssessmentRecorded", body="NewAssessment", tags=("staff",)),
    Op("POST", "/cases/{id}/participants/{pid}/supporter-access", "supporterAccess",
       "Record whether a principal's supporter may read what they receive.", "staff",
       result="SupporterAccessRecorded", body="SupporterAccess", tags=("staff",)),
    Op("POST", "/cases/{id}/participants/{pid}/withdraw", "withdrawParticipant",
       "Withdraw a principal from the process.", "staff", result="CaseStatus", tags=("staff",)),
    Op("POST", "/cases/{id}/participants/{pid}/meet-consent", "meetConsent",
       "Record consent to meet.", "staff", result="MeetConsentRecorded", body="MeetConsent",
       tags=("staff",)),
    Op("POST", "/cases/{id}/participants/{pid}/preparation", "preparation",
       "Mark a preparation step done.", "staff", result="Object", body="Preparation",
       tags=("staff",)),
    Op("POST", "/cases/{id}/admission", "admission", "Record the admission.", "staff",
       result="AdmissionRecorded", body="Admission", tags=("staff",)),
    Op("POST", "/cases/{id}/activate", "activate", "Start the case (409 with `missing` gates).",
       "staff", result="CaseStatus", tags=("staff",)),
    Op("POST", "/cases/{id}/pause", "pause", "Pause an active case.", "staff",
       result="CaseStatus", tags=("staff",)),
    Op("POST", "/cases/{id}/close", "close", "Close the case, with its outcomes.", "staff",
       result="CaseStatus", body="Close", body_required=False, tags=("staff",)),
    Op("GET", "/cases/{id}/thread", "thread", "The case's correspondence, both ways.", "staff",
       result="Object", conflicts=False, tags=("staff",)),
    Op("GET", "/cases/{id}/conference", "getConference", "Conference preparation and meeting.",
       "staff", result="Object", conflicts=False, tags=("staff",)),
    Op("PUT", "/cases/{id}/meeting", "putMeeting", "Set the conference meeting.", "staff",
       result="Object", body="Meeting", tags=("staff",)),
    Op("POST", "/cases/{id}/items", "paperLetter",
       "Enter a paper letter on a participant's behalf.", "staff", ok=201,
       result="ItemCreated", body="PaperLetter", tags=("staff",)),
    Op("GET", "/cases/{id}/audit", "caseAudit", "The case's audit events.", "staff",
       result="AuditEvents", conflicts=False, tags=("staff",)),
    Op("GET", "/queue", "queue", "Items awaiting a decision (or in `state`), oldest first.",
       "staff", result="Queue", conflicts=False, tags=("staff",), parameters=QUEUE_PARAMETERS),
    Op("GET", "/items/{id}", "getItem",
       "An item with its original, findings and history (audited).", "staff",
       result="ItemDetail", conflicts=False, tags=("staff",)),
    Op("POST", "/items/{id}/decision", "decide",
       "Approve, redact, return, reject or countersign.", "staff", result="DecisionResult",
       body="Decision", tags=("staff",)),
    Op("POST", "/items/{id}/claim", "claim", "Claim an item while reading it.", "staff",
       result="Claim", tags=("staff",)),
    Op("DELETE", "/items/{id}/claim", "unclaim", "Let a claim go.", "staff", result="Claim",
       tags=("staff",)),
    Op("GET", "/reasons", "getReasons", "Saved reasons for returns and rejections.", "staff",
       result="ReasonList", conflicts=False, tags=("staff",)),
    Op("PUT", "/reasons", "putReasons", "Replace the saved reasons.", "specialist",
       result="ReasonList", body="Reasons", tags=("staff",)),
    Op("GET", "/reports", "report", "Counts for reporting (no content).", "specialist",
       result="Object", conflicts=False, tags=("staff",)),
    # Participants
    Op("GET", "/me", "me", "The participant and their case as they may see it.",
       "participant", result="Me", conflicts=False, tags=("participant",)),
    Op("POST", "/me/items", "write", "Write a letter or message.", "participant", ok=201,
       result="Written", body="NewItem", tags=("participant",)),
    Op("GET", "/me/items", "myItems", "Sent and received items.", "participant",
       result="MyItems", conflicts=False, tags=("participant",)),
    Op("POST", "/me/items/{id}/revise", "revise", "Revise a returned item.", "participant",
       result="Written", body="Revision", tags=("participant",)),
    Op("POST", "/me/items/{id}/open", "openItem", "Open a received item.", "participant",
       result="ReceivedItem", tags=("participant",)),
    Op("POST", "/me/items/{id}/decline", "declineItem", "Decline a received item unopened.",
       "participant", result="ReceivedItem", tags=("participant",)),
    Op("POST", "/me/items/{id}/ask-practitioner", "askPractitioner",
       "Ask a practitioner for help with a received item.", "participant",
       result="ReceivedItem", tags=("participant",)),
    Op("POST", "/me/withdraw", "withdrawMe", "Withdraw from the process.", "participant",
       result="Withdrawn", tags=("participant",)),
    Op("GET", "/me/preferences", "getPreferences", "Read receipts and delivery window.",
       "participant", result="PreferencesView", conflicts=False, tags=("participant",)),
    Op("PUT", "/me/preferences", "putPreferences", "Replace the preferences.", "participant",
       result="PreferencesView", body="Preferences", tags=("participant",)),
    Op("GET", "/me/correspondence", "correspondence", "The participant's correspondence.",
       "participant", result="Object", conflicts=False, tags=("participant",)),
    # Attachments
    Op("POST", "/items/{id}/attachments", "addAttachmentStaff",
       "Attach a scan to a paper letter.", "staff", ok=201, result="AttachmentAdded",
       tags=("attachments",), extra_errors=(413, 415, 422), request=_UPLOAD),
    Op("GET", "/items/{id}/attachments/{n}", "getAttachmentStaff",
       "Download an attachment (audited).", "staff", tags=("attachments",),
       response=_DOWNLOAD),
    Op("DELETE", "/items/{id}/attachments/{n}", "removeAttachmentStaff",
       "Remove an attachment from a paper letter.", "staff", result="AttachmentRemoved",
       tags=("attachments",)),
    Op("POST", "/me/items/{id}/attachments", "addAttachment",
       "Attach a scan or photo to one's own item.", "participant", ok=201,
       result="AttachmentAdded", tags=("attachments",), extra_errors=(413, 415, 422),
       request=_UPLOAD),
    Op("GET", "/me/items/{id}/attachments/{n}", "getAttachment", "Download an attachment.",
       "participant", tags=("attachments",), response=_DOWNLOAD),
    Op("DELETE", "/me/items/{id}/attachments/{n}", "removeAttachment",
       "Remove an attachment from one's own item.", "participant",
       result="AttachmentRemoved", tags=("attachments",)),
)
# fmt: on

_PATH_PARAMETERS = {
    "id": {"type": "string", "minLength": 1},
    "pid": {"type": "string", "minLength": 1},
    "n": {"type": "integer", "minimum": 1, "maximum": 9999},
}


def _path_parameters(path: str) -> list[Schema]:
    names = [part[1:-1] for part in path.split("/") if part.startswith("{")]
    return [
        {"name": name, "in": "path", "required": True, "schema": _PATH_PARAMETERS[name]}
        for name in names
    ]


def _operation(op: Op) -> Schema:
    signed_in = op.caller != "anyone"
    writes = op.method in ("POST", "PUT", "DELETE")
    errors = {401, *op.extra_errors}
    if op.path != "/openapi.json":
        errors.add(503)
    if signed_in and op.caller != "signed-in":
        errors.update({403, 404})
    if "{" in op.path:
        errors.add(404)
    if op.body is not None:
        errors.update({400, 413, 415, 422})
    if op.conflicts:
        errors.add(409)
    parameters = _path_parameters(op.path) + list(op.parameters)
    if signed_in and writes:
        parameters.append({"$ref": "#/components/parameters/IdempotencyKey"})
        errors.add(422)
    if parameters and any(p.get("in") == "query" for p in parameters):
        errors.add(422)
    responses: Schema = {}
    if op.response is not None:
        responses[str(op.ok)] = op.response
    elif op.result is None:
        responses[str(op.ok)] = {"description": "Done; no content."}
    else:
        responses[str(op.ok)] = {
            "description": "Success.",
            "content": {"application/json": {"schema": ref(op.result)}},
        }
    for status in sorted(errors):
        responses[str(status)] = {"$ref": f"#/components/responses/E{status}"}
    operation: Schema = {
        "operationId": op.operation_id,
        "summary": op.summary,
        "tags": list(op.tags),
        "x-relay-caller": op.caller,
        "responses": responses,
    }
    if parameters:
        operation["parameters"] = parameters
    if not signed_in:
        operation["security"] = []
    if op.body is not None:
        operation["requestBody"] = {
            "required": op.body_required,
            "content": {"application/json": {"schema": ref(op.body)}},
        }
    elif op.request is not None:
        operation["requestBody"] = op.request
    return operation


@cache
def document() -> Schema:
    """The whole OpenAPI 3.1 document (built once; it only depends on the code)."""
    paths: Schema = {}
    for op in OPERATIONS:
        paths.setdefault(op.path, {})[op.method.lower()] = _operation(op)
    problem = {"application/problem+json": {"schema": ref("Problem")}}
    responses: Schema = {}
    for status, text in _ERROR_TEXT.items():
        response: Schema = {"description": text, "content": problem}
        if status in (429, 503):
            response["headers"] = {"Retry-After": {"schema": {"type": "string"}}}
        if status == 401:
            response["headers"] = {"WWW-Authenticate": {"schema": {"type": "string"}}}
        responses[f"E{status}"] = response
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "relay",
            "version": "1",
            "summary": "Shuttle-mediation message relay for restorative justice.",
            "description": (
                "Every error is application/problem+json. Writes accept an Idempotency-Key "
                "(per signed-in principal, kept 24 h): a repeat returns the first answer and "
                f"changes nothing. A request body is at most {MAX_BODY // 1024} KiB "
                f"(attachment uploads: {attachments.MAX_BYTES // (1024 * 1024)} MiB)."
            ),
        },
        "servers": [{"url": "/api/v1"}],
        "security": [{"bearerAuth": []}],
        "tags": [
            {"name": "sessions"},
            {"name": "staff", "description": "Practitioners (specialists and volunteers)."},
            {"name": "participant", "description": "Participants of a case."},
            {"name": "attachments"},
            {"name": "meta"},
        ],
        "paths": paths,
        "components": {
            "securitySchemes": {
                "bearerAuth": {
                    "type": "http",
                    "scheme": "bearer",
                    "description": "A token from /login, /party/login or /party/activate.",
                }
            },
            "parameters": {
                "IdempotencyKey": {
                    "name": "Idempotency-Key",
                    "in": "header",
                    "required": False,
                    "description": "1 to 200 printable characters; a repeat of the same "
                    "request returns the first answer (Idempotent-Replayed: true).",
                    "schema": {"type": "string", "minLength": 1, "maxLength": MAX_KEY},
                }
            },
            "schemas": _schemas(),
            "responses": responses,
        },
    }


async def serve(request: web.Request) -> web.Response:
    """GET /api/v1/openapi.json — public: it describes the API, nothing about any case."""
    return web.json_response(document())
