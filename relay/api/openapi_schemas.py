"""Component schemas of the OpenAPI document: request bodies from the handlers' `F` field
definitions, response bodies written out (see relay/api/openapi.py)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from relay.api.party import (
    PARTY_ACTIVATE,
    PARTY_LOGIN,
    PREFERENCES,
    REVISE,
    WINDOW,
    WRITE,
)
from relay.api.staff import (
    ADMISSION,
    ASSESSMENT,
    ASSIGN,
    CASE,
    CONSENT,
    DECISION,
    DISMISSAL,
    LOGIN,
    PAPER_LETTER,
    PARTICIPANT,
    PRACTITIONER,
    SPAN,
    SUPPORTER_ACCESS,
)
from relay.api.validation import F
from relay.api.workflow import CLOSE, MEET_CONSENT, MEETING, PREPARATION, REASON, REASONS
from relay.domain import attachments, workflow
from relay.domain.gates import GATES
from relay.domain.views import QUEUE_STATES

Schema = dict[str, Any]


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


def open_object(properties: Schema, required: list[str] | None = None) -> Schema:
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


def component_schemas() -> Schema:
    text_note = (
        "At most 20,000 characters (413 beyond); must contain something other than spaces (422)."
    )
    finding = open_object(
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
    listing = open_object(
        {
            "n": {"type": "integer", "minimum": 1},
            "media_type": {"enum": sorted(attachments.EXTENSIONS)},
            "size": {"type": "integer", "minimum": 0},
        }
    )
    queue_item = open_object(
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
            open_object(
                {
                    "author_role": ROLE,
                    "original": STRING,
                    "history": {
                        "type": "array",
                        "items": open_object(
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
        "ReasonList": open_object({"reasons": {"type": "array", "items": {"type": "object"}}}),
        "MeetConsentRecorded": open_object({"participant": STRING, "meet_consent": BOOLEAN}),
        "Token": open_object(
            {"token": STRING, "role": {"enum": [*STAFF_ROLE["enum"], *ROLE["enum"]]}}
        ),
        "Activated": open_object({"token": STRING, "login": STRING}),
        "Practitioner": open_object({"id": STRING, "username": STRING, "role": STAFF_ROLE}),
        "CaseSummary": open_object(
            {
                "id": STRING,
                "status": CASE_STATUS,
                "modality": {"enum": ["conference", "letters", "shuttle"]},
                "risk_level": {"enum": ["high", "standard"]},
            }
        ),
        "CaseList": open_object({"cases": {"type": "array", "items": ref("CaseSummary")}}),
        "CaseCreated": open_object({"id": STRING, "status": CASE_STATUS}),
        "CaseDetail": {
            "allOf": [
                ref("CaseSummary"),
                open_object(
                    {
                        "gates": open_object(dict.fromkeys(GATES, BOOLEAN)),
                        "missing": {"type": "array", "items": {"enum": list(GATES)}},
                        "participants": {
                            "type": "array",
                            "items": open_object(
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
        "Assigned": open_object({"case_id": STRING, "assigned": STRING}),
        "ParticipantAdded": open_object(
            {"id": STRING, "role": ROLE, "alias": STRING, "invite_code": STRING}
        ),
        "Contact": open_object(
            {"name": STRING, "email": STRING, "phone": STRING, "address": STRING}
        ),
        "ConsentRecorded": open_object({"participant": STRING, "consent": BOOLEAN}),
        "AssessmentRecorded": open_object(
            {"id": STRING, "outcome": {"enum": ["safe", "unsafe"]}, "case_status": CASE_STATUS}
        ),
        "SupporterAccessRecorded": open_object({"participant": STRING, "supporter_read": BOOLEAN}),
        "AdmissionRecorded": open_object({"case_id": STRING, "admission": {"const": True}}),
        "CaseStatus": open_object({"id": STRING, "status": CASE_STATUS}),
        "Requeued": open_object({"id": STRING, "requeued": {"type": "integer", "minimum": 1}}),
        "ItemCreated": open_object(
            {"id": STRING, "state": {"const": "pending"}, "version": {"const": 1}},
            required=["id", "state"],
        ),
        "Finding": finding,
        "AttachmentListing": listing,
        "QueueItem": queue_item,
        "Queue": open_object({"items": {"type": "array", "items": ref("QueueItem")}}),
        "ItemDetail": item_detail,
        "DecisionResult": open_object(
            {"id": STRING, "state": ITEM_STATE, "version": {"type": "integer", "minimum": 2}}
        ),
        "Claim": open_object(
            {"id": STRING, "claimed_by": NULLABLE_STRING, "claimed_until": NULLABLE_STRING}
        ),
        "AuditEvents": open_object(
            {
                "events": {
                    "type": "array",
                    "items": open_object(
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
        "Me": open_object(
            {
                "alias": STRING,
                "role": ROLE,
                "case": open_object(
                    {
                        "status": {"enum": ["on_hold", "active", "ended", "withdrawn"]},
                        "other_party_alias": NULLABLE_STRING,
                    }
                ),
            }
        ),
        "SentItem": open_object(
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
        "ReceivedItem": open_object(
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
        "MyItems": open_object(
            {
                "sent": {"type": "array", "items": ref("SentItem")},
                "received": {"type": "array", "items": ref("ReceivedItem")},
            }
        ),
        "Written": open_object({"id": STRING, "state": {"const": "pending"}}),
        "Withdrawn": open_object({"status": {"const": "withdrawn"}}),
        "PreferencesView": open_object(
            {
                "read_receipts": BOOLEAN,
                "delivery_window": {"oneOf": [ref("DeliveryWindow"), {"type": "null"}]},
            }
        ),
        "AttachmentAdded": open_object(
            {
                "item_id": STRING,
                "n": {"type": "integer", "minimum": 1},
                "media_type": {"enum": sorted(attachments.EXTENSIONS)},
                "size": {"type": "integer", "minimum": 0},
                "version": {"type": "integer", "minimum": 2},
            }
        ),
        "AttachmentRemoved": open_object(
            {"item_id": STRING, "n": {"type": "integer", "minimum": 1}, "version": INTEGER}
        ),
    }
