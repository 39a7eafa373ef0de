"""The OpenAPI document describes every route the app registers, as the app validates it."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
import schemathesis
from aiohttp import web

from relay.api import PREFIX
from relay.api.openapi import MAX_BODY as DOCUMENTED_MAX_BODY
from relay.api.openapi import document
from relay.app import MAX_BODY, create_app
from relay.config import Config
from tests.conftest import Api

_METHODS = {"GET", "POST", "PUT", "PATCH", "DELETE"}


def registered_api_routes(app: web.Application) -> set[tuple[str, str]]:
    """(method, path under /api/v1) of every route on the app's router, as registered now."""
    found = set()
    for route in app.router.routes():
        path = route.resource.canonical if route.resource is not None else ""
        if path.startswith(PREFIX + "/") and route.method in _METHODS:
            found.add((route.method, path[len(PREFIX) :]))
    return found


def documented_operations() -> set[tuple[str, str]]:
    return {
        (method.upper(), path)
        for path, item in document()["paths"].items()
        for method in item
        if method.upper() in _METHODS
    }


def operations() -> list[tuple[str, str, dict[str, Any]]]:
    return [
        (method.upper(), path, op)
        for path, item in document()["paths"].items()
        for method, op in item.items()
    ]


def resolve(ref: str) -> Any:
    node: Any = document()
    for part in ref.removeprefix("#/").split("/"):
        node = node[part]
    return node


def test_every_registered_api_route_is_documented_and_nothing_else(config: Config) -> None:
    routes = registered_api_routes(create_app(config))
    assert len(routes) > 40  # the enumeration itself works
    assert routes - documented_operations() == set(), "routes missing from relay/api/openapi.py"
    assert documented_operations() - routes == set(), "documented routes that do not exist"


async def test_the_document_is_served_without_signing_in(api: Api) -> None:
    status, body = await api.get("/openapi.json")
    assert status == 200
    assert api.last_headers["Content-Type"].startswith("application/json")
    assert body == json.loads(json.dumps(document()))
    assert body["openapi"].startswith("3.1")


def test_the_document_is_valid_openapi_3_1() -> None:
    schemathesis.openapi.from_dict(document()).validate()  # the OAS 3.1 meta-schema


def test_the_document_is_plain_json_and_every_reference_resolves() -> None:
    text = json.dumps(document(), allow_nan=False)  # no tuples, sets or NaN hiding inside
    refs = set(re.findall(r'"\$ref": "([^"]+)"', text))
    assert refs
    for ref in refs:
        assert resolve(ref) is not None, ref
    ids = [op["operationId"] for _, _, op in operations()]
    assert len(ids) == len(set(ids))
    assert DOCUMENTED_MAX_BODY == MAX_BODY


def test_bearer_auth_is_declared_and_only_sign_in_routes_are_public() -> None:
    doc = document()
    assert doc["components"]["securitySchemes"]["bearerAuth"] == {
        "type": "http",
        "scheme": "bearer",
        "description": doc["components"]["securitySchemes"]["bearerAuth"]["description"],
    }
    assert doc["security"] == [{"bearerAuth": []}]
    public = {(m, p) for m, p, op in operations() if op.get("security") == []}
    assert public == {
        ("GET", "/openapi.json"),
        ("POST", "/login"),
        ("POST", "/party/activate"),
        ("POST", "/party/login"),
    }
    callers = {op["x-relay-caller"] for _, _, op in operations()}
    assert callers <= {"anyone", "signed-in", "staff", "specialist", "participant"}


def _closed(schema: dict[str, Any]) -> None:
    """Every object in a request schema refuses unknown fields, as the validator does."""
    if "$ref" in schema:
        schema = resolve(schema["$ref"])
    for branch in schema.get("oneOf", []):
        _closed(branch)
    if schema.get("type") == "object" or "properties" in schema:
        assert schema.get("additionalProperties") is False, schema
        assert set(schema.get("required", [])) <= set(schema["properties"])
        for sub in schema["properties"].values():
            _closed(sub)
    if "items" in schema:
        _closed(schema["items"])


@pytest.mark.parametrize(
    ("method", "path"),
    sorted((m, p) for m, p, op in operations() if "requestBody" in op),
)
def test_json_request_bodies_are_closed_and_their_errors_documented(method: str, path: str) -> None:
    op = document()["paths"][path][method.lower()]
    content = op["requestBody"]["content"]
    if "application/json" not in content:  # attachment uploads: raw bytes
        assert set(content) >= {"application/octet-stream", "image/jpeg"}
        return
    _closed(content["application/json"]["schema"])
    assert {"400", "413", "415", "422"} <= set(op["responses"])


def test_every_error_response_is_problem_json() -> None:
    for method, path, op in operations():
        errors = {code for code in op["responses"] if code.startswith(("4", "5"))}
        assert "401" in errors, (method, path)
        for code in errors:
            response = resolve(op["responses"][code]["$ref"])
            assert set(response["content"]) == {"application/problem+json"}
            assert response["content"]["application/problem+json"]["schema"] == {
                "$ref": "#/components/schemas/Problem"
            }


def test_strict_validation_is_in_the_schemas() -> None:
    schemas = document()["components"]["schemas"]
    decision = schemas["Decision"]
    assert decision["required"] == ["action", "version"]
    assert decision["properties"]["action"]["enum"] == [
        "approve",
        "countersign",
        "redact",
        "reject",
        "return",
    ]
    assert decision["properties"]["version"] == {
        "type": "integer",
        "minimum": 1,
        "description": decision["properties"]["version"]["description"],
    }
    assert schemas["NewItem"]["properties"]["body"]["maxLength"] == 20_000
    assert schemas["Span"]["required"] == ["start", "end"]
    assert schemas["NewParticipant"]["properties"]["supports"]["type"] == ["string", "null"]
    assert schemas["Preferences"]["properties"]["delivery_window"]["oneOf"][1] == {"type": "null"}
    days = schemas["DeliveryWindow"]["properties"]["days"]
    assert (days["minItems"], days["maxItems"], days["items"]["maximum"]) == (1, 7, 7)
