"""JSON Schemas of the request models (and any other typed shape), for the OpenAPI document.

pydantic writes the schemas; three choices make them read like a hand-written contract:
no per-field titles (the property name says it), `{"type": ["string", "null"]}` for a plain
nullable field (`oneOf` with `null` only around a reference), and no defaults (an optional field
left out means "not given", which a handler may treat differently from any value).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from pydantic import TypeAdapter
from pydantic.json_schema import GenerateJsonSchema, JsonSchemaValue
from pydantic_core import core_schema

Schema = dict[str, Any]
REF = "#/components/schemas/{model}"


class _Generator(GenerateJsonSchema):
    def field_title_should_be_set(self, schema: Any) -> bool:
        return False

    def nullable_schema(self, schema: core_schema.NullableSchema) -> JsonSchemaValue:
        inner = self.generate_inner(schema["schema"])
        kind = inner.get("type")
        if isinstance(kind, str) and not {"$ref", "enum", "const"} & set(inner):
            return {**inner, "type": [kind, "null"]}
        return {"oneOf": [inner, {"type": "null"}]}

    def default_schema(self, schema: core_schema.WithDefaultSchema) -> JsonSchemaValue:
        return self.generate_inner(schema["schema"])


def component_schemas(shapes: Sequence[object]) -> tuple[dict[object, Schema], Schema]:
    """Each shape's schema (a `$ref` for a named one) and every named schema they refer to,
    keyed by name, referred to as `#/components/schemas/<name>`."""
    generator = _Generator(ref_template=REF)
    inputs = [(shape, "validation", _core(shape)) for shape in shapes]
    found, definitions = generator.generate_definitions(inputs)  # type: ignore[arg-type]
    schemas = {key: value for (key, _), value in found.items()}
    return schemas, {str(name): value for name, value in definitions.items()}


def _core(shape: Any) -> core_schema.CoreSchema:
    adapter: TypeAdapter[Any] = TypeAdapter(shape)
    return adapter.core_schema
