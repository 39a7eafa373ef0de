"""Request inputs, below both edges: the models the JSON API and the pages read requests with.

One rule, two front doors: a field's type, length and allowed values are declared once here
(pydantic models: closed, strict), the API reads JSON bodies into them, the pages read their
forms into them, and the OpenAPI document is generated from them. Nothing here knows HTTP.
"""

from __future__ import annotations

from relay.inputs.parse import parse

__all__ = ["parse"]
