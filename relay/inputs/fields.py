"""The building blocks of request models: a closed, strict base class and shared field types.

A model refuses unknown fields and wrong types (`extra="forbid"`, `strict=True`: no "1" for 1,
no 1 for true). A rule that JSON Schema cannot say exactly (a time of day, a date, a non-blank
text) is a validator next to the pattern that documents it, with its own short message.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from datetime import date, datetime
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field
from pydantic_core import PydanticCustomError

from relay.domain.items import MAX_TEXT

# Error types of our own validators; relay.inputs.parse words each as "The field 'x' <msg>."
TOO_LARGE = "too_large"  # answered 413, as DESIGN asks for item text over its limit
CUSTOM = frozenset({TOO_LARGE, "format", "blank", "window"})

HHMM = r"^([01][0-9]|2[0-3]):[0-5][0-9]$"
DAY = r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$"
MINUTE = r"^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}$"


class Input(BaseModel):
    """A request body (or query): closed, strict and immutable once read."""

    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)


def one_of(values: Iterable[str]) -> Any:
    """`Literal[...]` of a set the domain defines (type it as `str` for mypy); members of a
    `StrEnum` become their plain values."""
    return Literal[tuple(str(value) for value in values)]


def _limit_text(value: object) -> object:
    if isinstance(value, str) and len(value) > MAX_TEXT:
        raise PydanticCustomError(
            TOO_LARGE, "is longer than {max_length} characters", {"max_length": MAX_TEXT}
        )
    return value


def _not_blank(value: str) -> str:
    if not value.strip():
        raise PydanticCustomError("blank", "cannot be blank")
    return value


def formatted(pattern: str, example: str, parse: Callable[[str], object] | None = None) -> Any:
    """A string matching `pattern` (and accepted by `parse`), else 'must look like <example>'.

    The pattern is checked here with Python's `re` in ASCII mode (\\d would match other scripts'
    digits) and published in the JSON Schema as it is."""
    regex = re.compile(pattern, re.ASCII)

    def check(value: str) -> str:
        try:
            if not regex.fullmatch(value):
                raise ValueError(value)
            if parse is not None:
                parse(value)
        except ValueError:
            raise PydanticCustomError(
                "format", "must look like {example}", {"example": example}
            ) from None
        return value

    return Annotated[
        str,
        Field(max_length=len(example), json_schema_extra={"pattern": pattern}),
        AfterValidator(check),
    ]


def _minute(value: str) -> datetime:
    return datetime.strptime(value, "%Y-%m-%dT%H:%M")


def _digits(value: object) -> object:
    """A query parameter's digits as an int; anything else is left for the int check to refuse."""
    if isinstance(value, str) and value.isascii() and value.isdigit() and len(value) <= 4:
        return int(value)
    return value


Id = Annotated[str, Field(min_length=1, max_length=64)]
"""An object's id (or a username, or a finding id): 1 to 64 characters."""
Text = Annotated[
    str,
    Field(
        max_length=MAX_TEXT,
        description="At most 20,000 characters (413 beyond); must contain something other "
        "than spaces (422).",
    ),
    BeforeValidator(_limit_text),
]
"""An item's text: over MAX_TEXT answers 413, not 422."""
NonBlank = AfterValidator(_not_blank)
Time = formatted(HHMM, "09:00")
Day = formatted(DAY, "2026-05-14", date.fromisoformat)
Minute = formatted(MINUTE, "2026-05-14T10:30", _minute)
QueryInt = BeforeValidator(_digits)
Kind = Literal["letter", "message"]
