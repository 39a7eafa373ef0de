"""Reading a request model from plain data, and wording what pydantic refuses.

`parse(Model, data)` answers the model, or raises the domain's `Invalid` (422) — or `TooLarge`
(413) for item text over its limit — with one short message naming the field, as
"The field 'delivery_window.start' must look like 09:00." Unknown fields are named all at once
(`fields`), anything else by its first error (`field`: the field's path).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError
from pydantic_core import ErrorDetails

from relay.domain.errors import DomainError, Invalid, TooLarge
from relay.inputs.fields import CUSTOM, TOO_LARGE

M = TypeVar("M", bound=BaseModel)

_KINDS = {
    "string_type": "a string",
    "int_type": "a whole number",
    "int_parsing": "a whole number",
    "int_from_float": "a whole number",
    "bool_type": "true or false",
    "list_type": "a list",
    "dict_type": "an object",
    "model_type": "an object",
    "model_attributes_type": "an object",
}


def parse(model: type[M], data: Any) -> M:
    """`data` read as `model`, or a 422/413 domain error saying what is wrong."""
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise refusal(exc) from exc


def refusal(exc: ValidationError) -> DomainError:
    errors = exc.errors(include_url=False)
    unknown = sorted(path(e["loc"]) for e in errors if e["type"] == "extra_forbidden")
    if unknown:
        return Invalid(f"Unknown field(s): {', '.join(unknown)}.", fields=unknown)
    first = errors[0]
    name = path(first["loc"])
    error = TooLarge if first["type"] == TOO_LARGE else Invalid
    return error(message(name, first), field=name)


def path(loc: Sequence[int | str]) -> str:
    """('redactions', 0, 'start') -> 'redactions[0].start'."""
    text = ""
    for part in loc:
        text += f"[{part}]" if isinstance(part, int) else f".{part}" if text else part
    return text


def _length(error: ErrorDetails) -> str | None:
    ctx = error.get("ctx", {})
    kind, is_text = error["type"], error["type"].startswith("string_")
    if kind in ("string_too_short", "too_short"):
        least = ctx.get("min_length")
        if least == 1:
            return "cannot be empty"
        unit = "characters" if is_text else "entries"
        return f"needs at least {least} {unit}"
    if kind in ("string_too_long", "too_long"):
        unit = "characters" if is_text else "entries"
        return f"has more than {ctx.get('max_length')} {unit}"
    return None


def _complaint(error: ErrorDetails) -> str:
    kind, ctx = error["type"], error.get("ctx", {})
    if kind in CUSTOM:
        return error["msg"]
    if kind == "missing":
        return "is required"
    if error.get("input", "") is None:
        return "cannot be null"
    if kind in _KINDS:
        return f"must be {_KINDS[kind]}"
    if kind == "literal_error":
        return f"must be one of: {ctx.get('expected')}"
    if kind == "greater_than_equal":
        return f"must be at least {ctx.get('ge')}"
    if kind == "less_than_equal":
        return f"must be at most {ctx.get('le')}"
    return _length(error) or f"is not valid ({error['msg']})"


def message(name: str, error: ErrorDetails) -> str:
    if not name:
        return "The request body must be a JSON object."
    return f"The field {name!r} {_complaint(error)}."
