"""Strict request validation: a wrong type, a missing, unknown or repeated field, or a value
outside its set is 422; malformed JSON or invalid UTF-8 (lone surrogate escapes included) is 400;
a body not sent as JSON is 415; text over its limit is 413."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, NoReturn

from aiohttp import web

from relay.domain.errors import DomainError, Invalid, TooLarge

MAX_DEPTH = 8
MAX_DIGITS = 30
_SURROGATE = re.compile("[\ud800-\udfff]")


class BadRequest(DomainError):
    status = 400
    title = "Bad request"


class UnsupportedMediaType(DomainError):
    status = 415
    title = "Unsupported media type"


@dataclass(frozen=True, slots=True)
class F:
    """One field: its type, whether it is required, and its limits."""

    type: type | tuple[type, ...]
    required: bool = True
    choices: frozenset[object] | None = None
    max_len: int | None = None
    min_len: int = 0
    nullable: bool = False
    too_long_status: int = 422  # 413 for item text, per DESIGN
    min_value: int | None = None
    max_value: int | None = None


def _depth(value: object, level: int = 0) -> int:
    if level > MAX_DEPTH:
        return level
    if isinstance(value, dict):
        return max((_depth(v, level + 1) for v in value.values()), default=level + 1)
    if isinstance(value, list):
        return max((_depth(v, level + 1) for v in value), default=level + 1)
    return level


def _has_lone_surrogate(value: object) -> bool:
    """Whether a string anywhere in parsed JSON holds a lone UTF-16 surrogate (from a \\uD800
    escape): not a Unicode character, it cannot be encoded, stored or encrypted."""
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            if _SURROGATE.search(item):
                return True
        elif isinstance(item, dict):
            stack.extend(item)
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
    return False


class _DuplicateField(Exception):
    def __init__(self, name: str) -> None:
        super().__init__(name)
        self.name = name


class _NumberTooLarge(Exception):
    pass


def _object(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    # Two values for one field: which one a proxy, a log or this code reads must not differ.
    data = dict(pairs)
    if len(data) != len(pairs):
        seen: set[str] = set()
        for name, _ in pairs:
            if name in seen:
                raise _DuplicateField(name)
            seen.add(name)
    return data


def _integer(digits: str) -> int:
    # No field takes a number anywhere near this; past 4300 digits int() itself would raise.
    if len(digits) > MAX_DIGITS:
        raise _NumberTooLarge()
    return int(digits)


def _not_json(name: str) -> NoReturn:
    raise ValueError(f"{name} is not JSON")  # NaN, Infinity, -Infinity


def is_json(content_type: str) -> bool:
    return content_type == "application/json" or (
        content_type.startswith("application/") and content_type.endswith("+json")
    )


async def read_json(request: web.Request) -> dict[str, Any]:
    raw = await request.read()  # aiohttp answers 413 past client_max_size
    if not raw:
        raise BadRequest("The request needs a JSON body.")
    if not is_json(request.content_type):
        raise UnsupportedMediaType("Send the body as JSON, with 'Content-Type: application/json'.")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise BadRequest("The request body is not valid UTF-8.") from exc
    try:
        data = json.loads(
            text, object_pairs_hook=_object, parse_int=_integer, parse_constant=_not_json
        )
    except _DuplicateField as exc:
        raise Invalid(f"The field {exc.name!r} is given more than once.", field=exc.name) from exc
    except _NumberTooLarge as exc:
        raise Invalid("A number in the request body is too large.") from exc
    except (ValueError, RecursionError) as exc:
        raise BadRequest("The request body is not valid JSON.") from exc
    if not isinstance(data, dict):
        raise Invalid("The request body must be a JSON object.")
    if _depth(data) > MAX_DEPTH:
        raise Invalid("The request body is nested too deeply.")
    if _has_lone_surrogate(data):
        raise BadRequest("The request body has an unpaired surrogate escape (not valid Unicode).")
    return data


def check(data: Mapping[str, Any], schema: Mapping[str, F]) -> dict[str, Any]:
    unknown = sorted(set(data) - set(schema))
    if unknown:
        raise Invalid(f"Unknown field(s): {', '.join(unknown)}.", fields=unknown)
    result: dict[str, Any] = {}
    for name, field in schema.items():
        if name not in data:
            if field.required:
                raise Invalid(f"The field {name!r} is required.", field=name)
            continue
        result[name] = check_value(name, data[name], field)
    return result


def check_value(name: str, value: Any, field: F) -> Any:
    if value is None:
        if field.nullable:
            return None
        raise Invalid(f"The field {name!r} cannot be null.", field=name)
    allowed = field.type if isinstance(field.type, tuple) else (field.type,)
    if isinstance(value, bool) and bool not in allowed:
        raise Invalid(f"The field {name!r} has the wrong type.", field=name)
    if not isinstance(value, allowed):
        raise Invalid(f"The field {name!r} has the wrong type.", field=name)
    if field.choices is not None and value not in field.choices:
        options = ", ".join(sorted(map(str, field.choices)))
        raise Invalid(f"The field {name!r} must be one of: {options}.", field=name)
    if isinstance(value, str | list):
        if field.max_len is not None and len(value) > field.max_len:
            error = TooLarge if field.too_long_status == 413 else Invalid
            raise error(f"The field {name!r} is longer than {field.max_len}.", field=name)
        if len(value) < field.min_len:
            raise Invalid(f"The field {name!r} is shorter than {field.min_len}.", field=name)
    if isinstance(value, int) and not isinstance(value, bool):
        if field.min_value is not None and value < field.min_value:
            raise Invalid(f"The field {name!r} is below {field.min_value}.", field=name)
        if field.max_value is not None and value > field.max_value:
            raise Invalid(f"The field {name!r} is above {field.max_value}.", field=name)
    return value


async def body(request: web.Request, schema: Mapping[str, F]) -> dict[str, Any]:
    return check(await read_json(request), schema)


async def optional_body(request: web.Request, schema: Mapping[str, F]) -> dict[str, Any]:
    """Like body(), for endpoints whose fields are all optional: no body means {}."""
    if not await request.read():
        return {}
    return await body(request, schema)


def query(request: web.Request, schema: Mapping[str, F]) -> dict[str, Any]:
    """Query parameters (strings), validated like a body; unknown ones are 422 too."""
    data: dict[str, Any] = {}
    for key in request.query:
        values = request.query.getall(key)
        if len(values) > 1:
            raise Invalid(f"The parameter {key!r} is given more than once.", field=key)
        data[key] = values[0]
    return check(data, schema)


def choice(*values: str) -> frozenset[object]:
    return frozenset(values)
