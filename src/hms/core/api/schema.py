"""The OpenAPI schema (drf-spectacular): component names, nullable outputs and the
error answers every operation can give, decided here once for every API view.

Views nest their `InputSerializer` and `OutputSerializer` (one operation, one shape),
so the class name alone is no name for a component: each is named after the class it
is nested in, `AppointmentListCreateApi.InputSerializer` becoming
`AppointmentListCreateInput`.
"""

from __future__ import annotations

from typing import Any

from drf_spectacular import openapi
from drf_spectacular.plumbing import get_lib_doc_excludes
from rest_framework import serializers

from hms.core.api.fields import WALL_CLOCK_SCHEMA

# The answers any operation can give besides its own: a body or query it cannot use,
# no or a bad token, a role that may not, a record not there or not the caller's to
# see, a conflicting state, a body too large, a body in another media type.
ERRORS = {
    "400": "The request names a field it cannot use.",
    "401": "No valid API token.",
    "403": "Your role does not allow this.",
    "404": "Not found, or not yours to see.",
    "409": "The record's state does not allow this.",
    "413": "The request body is too large.",
    "415": "The body is not JSON.",
}
ERROR_COMPONENT = {
    "type": "object",
    "properties": {
        "code": {"type": "string", "description": "Stable, UPPER_SNAKE."},
        "detail": {"type": "string", "description": "For people."},
        "errors": {
            "type": "object",
            "additionalProperties": True,
            "description": "Field validation errors, keyed by field name.",
        },
    },
    "required": ["code", "detail"],
}


class AutoSchema(openapi.AutoSchema):
    def get_serializer_name(self, serializer: serializers.Serializer, direction: str) -> str:
        return nested_name(type(serializer))

    def get_operation_id(self) -> str:
        # A collection answers a page object rather than a bare list, which the default
        # takes for a "retrieve" and names like the read of one member.
        operation_id = super().get_operation_id()
        if self.method == "GET" and not self.path.rstrip("/").endswith("}"):
            return operation_id.removesuffix("_retrieve").removesuffix("_list") + "_list"
        return operation_id

    def _map_serializer_field(self, field, direction, bypass_extensions=False):
        if isinstance(field, serializers.TimeField):
            # A time of day on the facility's clock, with no zone: OpenAPI's
            # `format: time` (RFC 3339 full-time) would demand an offset.
            schema = {**WALL_CLOCK_SCHEMA}
            if field.allow_null:
                schema["nullable"] = True
            return schema
        schema = super()._map_serializer_field(field, direction, bypass_extensions)
        # An output field with default=None says None when its source is missing
        # (`department.code` of a row with no department): the answer holds null.
        if direction == "response" and field.default is None and "$ref" not in schema:
            schema["nullable"] = True
        return schema


def lib_doc_excludes() -> list[type]:
    """GET_LIB_DOC_EXCLUDES: the base serializers' docstrings speak of how they work,
    not of a component, so a serializer without its own docstring has no description."""
    from hms.core.api.fields import StrictSerializer
    from hms.core.api.serializers import Serializer

    return [*get_lib_doc_excludes(), StrictSerializer, Serializer]


def nested_name(cls: type) -> str:
    """`Outer.InnerSerializer` -> `OuterInnerSerializer`, dropping the `Api` of a view;
    a class at module level keeps its name."""
    parts = [p for p in cls.__qualname__.split(".") if p != "<locals>"]
    return "".join(p.removesuffix("Api") for p in parts[:-1]) + parts[-1]


def error_statuses(operation: dict[str, Any]) -> dict[str, str]:
    """The error answers of `operation`, with their descriptions: those about a body
    only where it takes one."""
    takes_body = "requestBody" in operation
    return {s: d for s, d in ERRORS.items() if takes_body or s not in ("413", "415")}


def add_error_responses(result: dict[str, Any], generator, request, public) -> dict[str, Any]:
    """A POSTPROCESSING_HOOK: every operation documents the error answers it can give
    (those a door documents in its own format, as FHIR does, are kept)."""
    result.setdefault("components", {}).setdefault("schemas", {})["Error"] = ERROR_COMPONENT
    error = {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}
    for operations in result.get("paths", {}).values():
        for operation in operations.values():
            responses = operation.setdefault("responses", {})
            for status, description in error_statuses(operation).items():
                responses.setdefault(status, {"description": description, "content": error})
    return result
