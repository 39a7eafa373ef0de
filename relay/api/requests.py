"""Reading a JSON request into its model (relay/inputs): the body's bytes through the hardened
JSON reader, then the model's strict validation. Errors are the domain's, with their status:
400 malformed, 413 too large, 415 not sent as JSON, 422 invalid."""

from __future__ import annotations

from typing import TypeVar

from aiohttp import web

from relay.domain.errors import DomainError, Invalid
from relay.inputs import parse
from relay.inputs.fields import Input
from relay.inputs.jsonbody import json_object

M = TypeVar("M", bound=Input)


class UnsupportedMediaType(DomainError):
    status = 415
    title = "Unsupported media type"


def is_json(content_type: str) -> bool:
    return content_type == "application/json" or (
        content_type.startswith("application/") and content_type.endswith("+json")
    )


async def body(request: web.Request, model: type[M]) -> M:
    raw = await request.read()  # aiohttp answers 413 past client_max_size
    if raw and not is_json(request.content_type):
        raise UnsupportedMediaType("Send the body as JSON, with 'Content-Type: application/json'.")
    return parse(model, json_object(raw))


async def optional_body(request: web.Request, model: type[M]) -> M:
    """Like body(), for a model whose fields are all optional: no body reads as {}."""
    if not await request.read():
        return parse(model, {})
    return await body(request, model)


def query(request: web.Request, model: type[M]) -> M:
    """The query parameters (strings) read as `model`; unknown or repeated ones are 422 too."""
    data: dict[str, str] = {}
    for key in request.query:
        values = request.query.getall(key)
        if len(values) > 1:
            raise Invalid(f"The parameter {key!r} is given more than once.", field=key)
        data[key] = values[0]
    return parse(model, data)
