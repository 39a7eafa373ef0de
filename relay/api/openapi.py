"""The OpenAPI 3.1 description of the JSON API, served at GET /api/v1/openapi.json (no sign-in).

Generated, never written by hand: request bodies are the very models the handlers read them
with (relay/inputs: closed objects, `required`, `enum`, lengths and ranges say exactly what
answers 422), answers are the shapes of relay/api/responses.py, and the paths are the table
below. tests/hardening checks every registered route is described and fuzzes the running app
against this document (schemathesis), so a drift shows up as a failure.

Each operation carries `x-relay-caller` (`anyone`, `signed-in`, `staff`, `specialist`,
`participant`): whose token the operation is meant for. Others get 403 (or 404 for objects
outside their reach).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from typing import Any

from aiohttp import web

from relay.api import responses as out
from relay.api.idempotency import MAX_KEY
from relay.domain import attachments
from relay.inputs import party, staff, workflow
from relay.inputs.fields import Input
from relay.inputs.jsonbody import MAX_BODY
from relay.inputs.schema import Schema, component_schemas

__all__ = ["MAX_BODY", "OPERATIONS", "document", "serve"]

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


OBJECT = dict[str, Any]  # an answer described only as a JSON object (see the pages' views)


@dataclass(frozen=True, slots=True)
class Op:
    method: str
    path: str
    operation_id: str
    summary: str
    caller: str  # anyone | signed-in | staff | specialist | participant
    ok: int = 200
    result: object = None  # the answer's shape (relay/api/responses.py); None: no JSON body
    body: type[Input] | None = None  # the request model the handler reads the body with
    body_required: bool = True
    conflicts: bool = True  # may answer 409
    tags: tuple[str, ...] = ()
    extra_errors: tuple[int, ...] = ()
    query: type[Input] | None = None  # the model the handler reads the query with
    request: Schema | None = None  # a non-JSON request body
    response: Schema | None = None  # a non-JSON success body


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
    Op("POST", "/login", "login", "Practitioner sign-in.", "anyone", result=out.Token,
       body=staff.Login, conflicts=False, tags=("sessions",), extra_errors=(429,)),
    Op("POST", "/logout", "logout", "End the session of the token used.", "signed-in", ok=204,
       conflicts=False, tags=("sessions",)),
    Op("POST", "/party/activate", "partyActivate", "Spend an invite code, choose a passphrase.",
       "anyone", ok=201, result=out.Activated, body=party.PartyActivate, conflicts=False,
       tags=("sessions",)),
    Op("POST", "/party/login", "partyLogin", "Participant sign-in with the login handle.",
       "anyone", result=out.Token, body=party.PartyLogin, conflicts=False, tags=("sessions",),
       extra_errors=(429,)),
    # Practitioners
    Op("POST", "/practitioners", "addPractitioner", "Add a practitioner.", "specialist", ok=201,
       result=out.Practitioner, body=staff.NewPractitioner, tags=("staff",)),
    Op("POST", "/cases", "createCase", "Open a case.", "staff", ok=201, result=out.CaseCreated,
       body=staff.NewCase, conflicts=False, tags=("staff",)),
    Op("GET", "/cases", "listCases", "The caller's cases.", "staff", result=out.CaseList,
       conflicts=False, tags=("staff",)),
    Op("GET", "/cases/{id}", "getCase", "A case, its gates and participants.", "staff",
       result=out.CaseDetail, conflicts=False, tags=("staff",)),
    Op("POST", "/cases/{id}/assign", "assign", "Assign a practitioner.", "specialist",
       result=out.Assigned, body=staff.Assign, conflicts=False, tags=("staff",)),
    Op("POST", "/cases/{id}/participants", "addParticipant",
       "Add a participant; answers the one-time invite code.", "staff", ok=201,
       result=out.ParticipantAdded, body=staff.NewParticipant, tags=("staff",)),
    Op("GET", "/cases/{id}/participants/{pid}/contact", "revealContact",
       "A participant's contact details (audited).", "staff", result=out.Contact,
       conflicts=False, tags=("staff",)),
    Op("POST", "/cases/{id}/participants/{pid}/consent", "consent", "Record consent.", "staff",
       result=out.ConsentRecorded, body=staff.Consent, tags=("staff",)),
    Op("POST", "/cases/{id}/participants/{pid}/assessments", "assessment",
       "Record a risk assessment; `unsafe` pauses an active case.", "staff", ok=201,
       result=out.AssessmentRecorded, body=staff.NewAssessment, tags=("staff",)),
    Op("POST", "/cases/{id}/participants/{pid}/supporter-access", "supporterAccess",
       "Record whether a principal's supporter may read what they receive.", "staff",
       result=out.SupporterAccessRecorded, body=staff.SupporterAccess, tags=("staff",)),
    Op("POST", "/cases/{id}/participants/{pid}/withdraw", "withdrawParticipant",
       "Withdraw a principal from the process.", "staff", result=out.CaseStatusView,
       tags=("staff",)),
    Op("POST", "/cases/{id}/participants/{pid}/meet-consent", "meetConsent",
       "Record consent to meet.", "staff", result=out.MeetConsentRecorded,
       body=workflow.MeetConsent, tags=("staff",)),
    Op("POST", "/cases/{id}/participants/{pid}/preparation", "preparation",
       "Mark a preparation step done.", "staff", result=OBJECT, body=workflow.Preparation,
       tags=("staff",)),
    Op("POST", "/cases/{id}/admission", "admission", "Record the admission.", "staff",
       result=out.AdmissionRecorded, body=staff.Admission, tags=("staff",)),
    Op("POST", "/cases/{id}/activate", "activate", "Start the case (409 with `missing` gates).",
       "staff", result=out.CaseStatusView, tags=("staff",)),
    Op("POST", "/cases/{id}/pause", "pause", "Pause an active case.", "staff",
       result=out.CaseStatusView, tags=("staff",)),
    Op("POST", "/cases/{id}/notifications/retry", "retryNotifications",
       "Queue again the case's notifications that gave up (409 if none, or not active).",
       "staff", result=out.Requeued, tags=("staff",)),
    Op("POST", "/cases/{id}/close", "close", "Close the case, with its outcomes.", "staff",
       result=out.CaseStatusView, body=workflow.Close, body_required=False, tags=("staff",)),
    Op("GET", "/cases/{id}/thread", "thread", "The case's correspondence, both ways.", "staff",
       result=OBJECT, conflicts=False, tags=("staff",)),
    Op("GET", "/cases/{id}/conference", "getConference", "Conference preparation and meeting.",
       "staff", result=OBJECT, conflicts=False, tags=("staff",)),
    Op("PUT", "/cases/{id}/meeting", "putMeeting", "Set the conference meeting.", "staff",
       result=OBJECT, body=workflow.Meeting, tags=("staff",)),
    Op("POST", "/cases/{id}/items", "paperLetter",
       "Enter a paper letter on a participant's behalf.", "staff", ok=201,
       result=out.ItemCreated, body=staff.PaperLetter, tags=("staff",)),
    Op("GET", "/cases/{id}/audit", "caseAudit", "The case's audit events.", "staff",
       result=out.AuditEvents, conflicts=False, tags=("staff",)),
    Op("GET", "/queue", "queue", "Items awaiting a decision (or in `state`), oldest first.",
       "staff", result=out.Queue, conflicts=False, tags=("staff",), query=staff.QueueQuery),
    Op("GET", "/items/{id}", "getItem",
       "An item with its original, findings and history (audited).", "staff",
       result=out.ItemDetail, conflicts=False, tags=("staff",)),
    Op("POST", "/items/{id}/decision", "decide",
       "Approve, redact, return, reject or countersign.", "staff", result=out.DecisionResult,
       body=staff.Decision, tags=("staff",)),
    Op("POST", "/items/{id}/claim", "claim", "Claim an item while reading it.", "staff",
       result=out.Claim, tags=("staff",)),
    Op("DELETE", "/items/{id}/claim", "unclaim", "Let a claim go.", "staff", result=out.Claim,
       tags=("staff",)),
    Op("GET", "/reasons", "getReasons", "Saved reasons for returns and rejections.", "staff",
       result=out.ReasonList, conflicts=False, tags=("staff",)),
    Op("PUT", "/reasons", "putReasons", "Replace the saved reasons.", "specialist",
       result=out.ReasonList, body=workflow.Reasons, tags=("staff",)),
    Op("GET", "/reports", "report", "Counts for reporting (no content).", "specialist",
       result=OBJECT, conflicts=False, tags=("staff",)),
    # Participants
    Op("GET", "/me", "me", "The participant and their case as they may see it.",
       "participant", result=out.Me, conflicts=False, tags=("participant",)),
    Op("POST", "/me/items", "write", "Write a letter or message.", "participant", ok=201,
       result=out.Written, body=party.NewItem, tags=("participant",)),
    Op("GET", "/me/items", "myItems", "Sent and received items.", "participant",
       result=out.MyItems, conflicts=False, tags=("participant",)),
    Op("POST", "/me/items/{id}/revise", "revise", "Revise a returned item.", "participant",
       result=out.Written, body=party.Revision, tags=("participant",)),
    Op("POST", "/me/items/{id}/open", "openItem", "Open a received item.", "participant",
       result=out.ReceivedItem, tags=("participant",)),
    Op("POST", "/me/items/{id}/decline", "declineItem", "Decline a received item unopened.",
       "participant", result=out.ReceivedItem, tags=("participant",)),
    Op("POST", "/me/items/{id}/ask-practitioner", "askPractitioner",
       "Ask a practitioner for help with a received item.", "participant",
       result=out.ReceivedItem, tags=("participant",)),
    Op("POST", "/me/withdraw", "withdrawMe", "Withdraw from the process.", "participant",
       result=out.Withdrawn, tags=("participant",)),
    Op("GET", "/me/preferences", "getPreferences", "Read receipts and delivery window.",
       "participant", result=out.PreferencesView, conflicts=False, tags=("participant",)),
    Op("PUT", "/me/preferences", "putPreferences", "Replace the preferences.", "participant",
       result=out.PreferencesView, body=party.Preferences, tags=("participant",)),
    Op("GET", "/me/correspondence", "correspondence", "The participant's correspondence.",
       "participant", result=OBJECT, conflicts=False, tags=("participant",)),
    # Attachments
    Op("POST", "/items/{id}/attachments", "addAttachmentStaff",
       "Attach a scan to a paper letter.", "staff", ok=201, result=out.AttachmentAdded,
       tags=("attachments",), extra_errors=(413, 415, 422), request=_UPLOAD),
    Op("GET", "/items/{id}/attachments/{n}", "getAttachmentStaff",
       "Download an attachment (audited).", "staff", tags=("attachments",),
       response=_DOWNLOAD),
    Op("DELETE", "/items/{id}/attachments/{n}", "removeAttachmentStaff",
       "Remove an attachment from a paper letter.", "staff", result=out.AttachmentRemoved,
       tags=("attachments",)),
    Op("POST", "/me/items/{id}/attachments", "addAttachment",
       "Attach a scan or photo to one's own item.", "participant", ok=201,
       result=out.AttachmentAdded, tags=("attachments",), extra_errors=(413, 415, 422),
       request=_UPLOAD),
    Op("GET", "/me/items/{id}/attachments/{n}", "getAttachment", "Download an attachment.",
       "participant", tags=("attachments",), response=_DOWNLOAD),
    Op("DELETE", "/me/items/{id}/attachments/{n}", "removeAttachment",
       "Remove an attachment from one's own item.", "participant",
       result=out.AttachmentRemoved, tags=("attachments",)),
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


def _not_null(schema: Schema) -> Schema:
    """A query parameter's schema: a query string is never null."""
    result = {key: value for key, value in schema.items() if key != "oneOf"}
    if isinstance(schema.get("type"), list):
        result["type"] = next(kind for kind in schema["type"] if kind != "null")
    for branch in schema.get("oneOf", []):
        if branch != {"type": "null"}:
            result.update(branch)
    return result


def _query_parameters(model: type[Input]) -> list[Schema]:
    refs, definitions = component_schemas([model])
    schema = definitions[refs[model]["$ref"].rsplit("/", 1)[1]]
    parameters = []
    for name, prop in schema["properties"].items():
        prop = _not_null(prop)
        parameter = {"name": name, "in": "query", "required": name in schema.get("required", [])}
        if "description" in prop:
            parameter["description"] = prop.pop("description")
        parameters.append({**parameter, "schema": prop})
    return parameters


def _errors(op: Op) -> set[int]:
    errors = {401, *op.extra_errors}
    if op.path != "/openapi.json":
        errors.add(503)
    if op.caller not in ("anyone", "signed-in"):
        errors.update({403, 404})
    if "{" in op.path:
        errors.add(404)
    if op.body is not None:
        errors.update({400, 413, 415, 422})
    if op.conflicts:
        errors.add(409)
    if op.query is not None or (op.caller != "anyone" and op.method != "GET"):
        errors.add(422)  # a bad query, or a bad Idempotency-Key
    return errors


def _success(op: Op, refs: dict[object, Schema]) -> Schema:
    if op.response is not None:
        return op.response
    if op.result is None:
        return {"description": "Done; no content."}
    return {"description": "Success.", "content": {"application/json": {"schema": refs[op.result]}}}


def _operation(op: Op, refs: dict[object, Schema]) -> Schema:
    signed_in = op.caller != "anyone"
    parameters = _path_parameters(op.path)
    if op.query is not None:
        parameters += _query_parameters(op.query)
    if signed_in and op.method != "GET":
        parameters.append({"$ref": "#/components/parameters/IdempotencyKey"})
    responses = {str(op.ok): _success(op, refs)}
    for status in sorted(_errors(op)):
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
            "content": {"application/json": {"schema": refs[op.body]}},
        }
    elif op.request is not None:
        operation["requestBody"] = op.request
    return operation


def _error_responses(problem: Schema) -> Schema:
    responses: Schema = {}
    for status, text in _ERROR_TEXT.items():
        response: Schema = {
            "description": text,
            "content": {"application/problem+json": {"schema": problem}},
        }
        if status in (429, 503):
            response["headers"] = {"Retry-After": {"schema": {"type": "string"}}}
        if status == 401:
            response["headers"] = {"WWW-Authenticate": {"schema": {"type": "string"}}}
        responses[f"E{status}"] = response
    return responses


_INFO = {
    "title": "relay",
    "version": "1",
    "summary": "Shuttle-mediation message relay for restorative justice.",
    "description": (
        "Every error is application/problem+json. Writes accept an Idempotency-Key "
        "(per signed-in principal, kept 24 h): a repeat returns the first answer and "
        f"changes nothing. A request body is at most {MAX_BODY // 1024} KiB "
        f"(attachment uploads: {attachments.MAX_BYTES // (1024 * 1024)} MiB)."
    ),
}
_TAGS = [
    {"name": "sessions"},
    {"name": "staff", "description": "Practitioners (specialists and volunteers)."},
    {"name": "participant", "description": "Participants of a case."},
    {"name": "attachments"},
    {"name": "meta"},
]
_SECURITY_SCHEMES = {
    "bearerAuth": {
        "type": "http",
        "scheme": "bearer",
        "description": "A token from /login, /party/login or /party/activate.",
    }
}
_IDEMPOTENCY_KEY = {
    "name": "Idempotency-Key",
    "in": "header",
    "required": False,
    "description": "1 to 200 printable characters; a repeat of the same request returns the "
    "first answer (Idempotent-Replayed: true).",
    "schema": {"type": "string", "minLength": 1, "maxLength": MAX_KEY},
}


@cache
def document() -> Schema:
    """The whole OpenAPI 3.1 document (built once; it only depends on the code)."""
    shapes = [out.Problem, *(s for op in OPERATIONS for s in (op.body, op.result) if s)]
    refs, schemas = component_schemas(list(dict.fromkeys(shapes)))
    paths: Schema = {}
    for op in OPERATIONS:
        paths.setdefault(op.path, {})[op.method.lower()] = _operation(op, refs)
    return {
        "openapi": "3.1.0",
        "info": _INFO,
        "servers": [{"url": "/api/v1"}],
        "security": [{"bearerAuth": []}],
        "tags": _TAGS,
        "paths": paths,
        "components": {
            "securitySchemes": _SECURITY_SCHEMES,
            "parameters": {"IdempotencyKey": _IDEMPOTENCY_KEY},
            "schemas": schemas,
            "responses": _error_responses(refs[out.Problem]),
        },
    }


async def serve(request: web.Request) -> web.Response:
    """GET /api/v1/openapi.json — public: it describes the API, nothing about any case."""
    return web.json_response(document())
