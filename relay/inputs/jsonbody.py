"""A hardened JSON reader for request bodies: bytes in, a plain JSON object out.

Malformed JSON, invalid UTF-8 or a lone surrogate escape is 400; a body that is not an object,
is nested too deeply, repeats a field or carries a huge number is 422. What the object must
hold is the request model's business (relay.inputs.parse).
"""

from __future__ import annotations

import json
import re
from typing import Any, NoReturn

from relay.domain.errors import DomainError, Invalid

MAX_BODY = 256 * 1024  # DESIGN: a request body is at most 256 KiB (413 beyond)
MAX_DEPTH = 8
MAX_DIGITS = 30
_SURROGATE = re.compile("[\ud800-\udfff]")


class BadRequest(DomainError):
    status = 400
    title = "Bad request"


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


def _decode(raw: bytes) -> Any:
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise BadRequest("The request body is not valid UTF-8.") from exc
    try:
        return json.loads(
            text, object_pairs_hook=_object, parse_int=_integer, parse_constant=_not_json
        )
    except _DuplicateField as exc:
        raise Invalid(f"The field {exc.name!r} is given more than once.", field=exc.name) from exc
    except _NumberTooLarge as exc:
        raise Invalid("A number in the request body is too large.") from exc
    except (ValueError, RecursionError) as exc:
        raise BadRequest("The request body is not valid JSON.") from exc


def json_object(raw: bytes) -> dict[str, Any]:
    """The body as a JSON object, or a 400/422 domain error saying what is wrong with it."""
    if not raw:
        raise BadRequest("The request needs a JSON body.")
    data = _decode(raw)
    if not isinstance(data, dict):
        raise Invalid("The request body must be a JSON object.")
    if _depth(data) > MAX_DEPTH:
        raise Invalid("The request body is nested too deeply.")
    if _has_lone_surrogate(data):
        raise BadRequest("The request body has an unpaired surrogate escape (not valid Unicode).")
    return data
