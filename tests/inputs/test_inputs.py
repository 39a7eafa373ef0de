"""Request models: what they refuse, how the refusal is worded, and the schemas they publish."""

from __future__ import annotations

from typing import Any

import pytest

from relay.domain.errors import DomainError, Invalid, TooLarge
from relay.domain.items import MAX_TEXT
from relay.inputs import parse
from relay.inputs.jsonbody import BadRequest, json_object
from relay.inputs.party import NewItem, Preferences
from relay.inputs.schema import component_schemas
from relay.inputs.staff import Decision, NewParticipant, QueueQuery
from relay.inputs.workflow import Meeting

WINDOW = {"days": [1, 2], "start": "09:00", "end": "17:00"}


def refusal(model: Any, data: object) -> DomainError:
    with pytest.raises(DomainError) as caught:
        parse(model, data)
    return caught.value


@pytest.mark.parametrize(
    ("model", "data", "detail", "field"),
    [
        (NewItem, {"kind": "letter"}, "The field 'body' is required.", "body"),
        (NewItem, {"kind": "letter", "body": 42}, "The field 'body' must be a string.", "body"),
        (NewItem, {"kind": None, "body": "x"}, "The field 'kind' cannot be null.", "kind"),
        (
            NewItem,
            {"kind": "poem", "body": "x"},
            "The field 'kind' must be one of: 'letter' or 'message'.",
            "kind",
        ),
        (Decision, {"action": "approve", "version": True}, None, "version"),
        (Decision, {"action": "approve", "version": "1"}, None, "version"),
        (Decision, {"action": "approve", "version": 0}, "must be at least 1", "version"),
        (
            Decision,
            {"action": "redact", "version": 1, "redactions": [{"start": 0, "end": "4"}]},
            "The field 'redactions[0].end' must be a whole number.",
            "redactions[0].end",
        ),
        (
            Decision,
            {"action": "approve", "version": 1, "dismissed": [{"finding": "f1", "reason": " "}]},
            "The field 'dismissed[0].reason' cannot be blank.",
            "dismissed[0].reason",
        ),
        (
            Preferences,
            {"read_receipts": True, "delivery_window": {**WINDOW, "start": "9am"}},
            "The field 'delivery_window.start' must look like 09:00.",
            "delivery_window.start",
        ),
        (
            Preferences,
            {"read_receipts": True, "delivery_window": {**WINDOW, "start": "18:00"}},
            "The field 'delivery_window' must start before it ends.",
            "delivery_window",
        ),
        (
            Meeting,
            {"starts_at": "2026-02-30T10:00", "venue": "Room 2", "attendees": ["par_1"]},
            "The field 'starts_at' must look like 2026-05-14T10:30.",
            "starts_at",
        ),
        (QueueQuery, {"limit": "1_0"}, "The field 'limit' must be a whole number.", "limit"),
    ],
)
def test_a_refusal_is_422_and_names_the_field(
    model: Any, data: object, detail: str | None, field: str
) -> None:
    error = refusal(model, data)
    assert isinstance(error, Invalid)
    assert error.extra == {"field": field}
    assert error.detail.startswith(f"The field {field!r} ")
    if detail is not None:
        assert detail in error.detail


def test_unknown_fields_are_named_all_at_once_before_anything_else() -> None:
    error = refusal(NewItem, {"kind": "poem", "urgent": True, "colour": "red"})
    assert isinstance(error, Invalid)
    assert error.detail == "Unknown field(s): colour, urgent."
    assert error.extra == {"fields": ["colour", "urgent"]}


def test_item_text_over_its_limit_is_413_but_other_long_text_is_422() -> None:
    assert isinstance(refusal(NewItem, {"kind": "letter", "body": "a" * (MAX_TEXT + 1)}), TooLarge)
    assert parse(NewItem, {"kind": "letter", "body": "a" * MAX_TEXT}).body == "a" * MAX_TEXT
    note = {"action": "return", "version": 1, "note": "a" * 2001}
    assert isinstance(refusal(Decision, note), Invalid)


def test_a_decision_keeps_absent_apart_from_empty() -> None:
    absent = parse(Decision, {"action": "approve", "version": 1}).to_domain()
    assert (absent.note, absent.content_note, absent.dismissed) == (None, None, {})
    cleared = parse(Decision, {"action": "approve", "version": 1, "content_note": ""})
    assert cleared.to_domain().content_note == ""


def test_a_query_limit_is_digits_only() -> None:
    assert parse(QueueQuery, {}).limit == 50
    assert parse(QueueQuery, {"limit": "7"}).limit == 7
    for bad in ("+7", " 7", "7.0", "٣", "0", "201"):
        assert isinstance(refusal(QueueQuery, {"limit": bad}), Invalid), bad


@pytest.mark.parametrize(
    ("raw", "status"),
    [
        (b"", 400),
        (b"\xff{}", 400),
        (b'{"a": "\\ud800"}', 400),
        (b"{", 400),
        (b"NaN", 400),
        (b"[1]", 422),
        (b'{"a": 1, "a": 2}', 422),
        (b'{"a": ' + b"9" * 31 + b"}", 422),
        (b'{"a":' * 9 + b"1" + b"}" * 9, 422),
    ],
)
def test_the_json_reader_refuses_what_is_not_a_plain_object(raw: bytes, status: int) -> None:
    with pytest.raises(DomainError) as caught:
        json_object(raw)
    assert caught.value.status == status
    assert isinstance(caught.value, BadRequest) == (status == 400)


def test_the_published_schemas_say_what_the_models_check() -> None:
    refs, schemas = component_schemas([NewParticipant, Preferences])
    assert refs[NewParticipant] == {"$ref": "#/components/schemas/NewParticipant"}
    participant = schemas["NewParticipant"]
    assert participant["additionalProperties"] is False
    assert participant["properties"]["supports"]["type"] == ["string", "null"]
    assert "supports" not in participant["required"]
    assert all("title" not in p and "default" not in p for p in participant["properties"].values())
    window = schemas["Preferences"]["properties"]["delivery_window"]
    assert window["oneOf"] == [{"$ref": "#/components/schemas/DeliveryWindow"}, {"type": "null"}]
    start = schemas["DeliveryWindow"]["properties"]["start"]
    assert start["pattern"] == "^([01][0-9]|2[0-3]):[0-5][0-9]$" and start["maxLength"] == 5
