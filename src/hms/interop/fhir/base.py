"""The FHIR door's plumbing: media type, OperationOutcome errors, resource registry.

Resources are built and validated with `fhir.resources` (R4B models, wire-compatible
with R4 for the resources served here).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from drf_spectacular.utils import OpenApiResponse
from fhir.resources.R4B.operationoutcome import OperationOutcome
from rest_framework.renderers import JSONRenderer
from rest_framework.views import APIView

from hms.core.api import exception_handler
from hms.core.api.parsers import JSONParser
from hms.core.api.schema import ERRORS, AutoSchema

FHIR_VERSION = "4.0.1"
FHIR_JSON = "application/fhir+json"


class FhirJSONRenderer(JSONRenderer):
    media_type = FHIR_JSON
    format = "fhir"


class FhirJSONParser(JSONParser):
    media_type = FHIR_JSON


_ISSUE_CODE_BY_STATUS = {
    400: "invalid",
    401: "login",
    403: "forbidden",
    404: "not-found",
    405: "not-supported",
    409: "conflict",
    413: "too-long",
    415: "not-supported",
    422: "processing",
    429: "throttled",
}


def operation_outcome(
    status: int,
    diagnostics: str,
    code: str | None = None,
    *,
    issues: list[tuple[str, str]] | None = None,
) -> dict[str, Any]:
    """One issue with `diagnostics`, or one per (FHIRPath expression, text) in `issues`."""
    severity = "error" if status < 500 else "fatal"
    code = code or _ISSUE_CODE_BY_STATUS.get(status, "processing")
    found = issues or [("", diagnostics)]
    outcome = OperationOutcome(
        issue=[
            {
                "severity": severity,
                "code": code,
                "diagnostics": text,
                **({"expression": [path]} if path else {}),
            }
            for path, text in found
        ]
    )
    return outcome.model_dump(mode="json", exclude_none=True)


def fhir_exception_handler(exc: Exception, context: dict[str, Any]):
    response = exception_handler(exc, context)
    if response is not None:
        data = response.data if isinstance(response.data, dict) else {}
        issues = getattr(exc, "issues", None)  # validation.InvalidResource
        response.data = operation_outcome(
            response.status_code, str(data.get("detail", "Error")), issues=issues
        )
        response.content_type = FHIR_JSON
    return response


# In OpenAPI a FHIR operation takes and answers a resource: the FHIR specification and
# the CapabilityStatement describe its elements, not a serializer.
_RESOURCE = {
    "type": "object",
    "properties": {"resourceType": {"type": "string"}},
    "required": ["resourceType"],
    "additionalProperties": True,
}
_OUTCOME = {
    "type": "object",
    "properties": {
        "resourceType": {"type": "string", "enum": ["OperationOutcome"]},
        "issue": {"type": "array", "items": {"type": "object", "additionalProperties": True}},
    },
    "required": ["resourceType", "issue"],
}
_SUCCESS = {"GET": ("200",), "POST": ("200", "201"), "PUT": ("200", "201")}


class FhirAutoSchema(AutoSchema):
    def get_tags(self) -> list[str]:
        return ["fhir"]

    def get_operation_id(self) -> str:
        # /fhir/R4/Patient/{resource_id} GET -> fhir_Patient_read
        parts = self.path.strip("/").split("/")[2:]
        kind = parts[0] if parts else "system"
        if parts == ["metadata"]:
            return "fhir_capabilities"
        if len(parts) > 2:
            action = "vread"
        elif len(parts) == 2:
            action = {"GET": "read", "PUT": "update"}[self.method]
        else:
            action = {"GET": "search", "POST": "create" if parts else "transaction"}[self.method]
        return f"fhir_{kind}_{action}"

    def get_request_serializer(self):
        if self.method not in ("POST", "PUT"):
            return None
        return dict.fromkeys((FHIR_JSON, "application/json"), _RESOURCE)

    def get_response_serializers(self):
        answers = {int(s): OpenApiResponse(_RESOURCE) for s in _SUCCESS[self.method]}
        for status, description in ERRORS.items():
            if self.method == "GET" and status in ("413", "415"):
                continue
            answers[int(status)] = OpenApiResponse(_OUTCOME, description=description)
        return answers


class FhirApiView(APIView):
    renderer_classes = [FhirJSONRenderer, JSONRenderer]
    parser_classes = [FhirJSONParser, JSONParser]
    schema = FhirAutoSchema()

    def get_exception_handler(self):
        return fhir_exception_handler


@dataclass(frozen=True)
class ResourceRegistration:
    type: str
    interactions: tuple[str, ...]
    search_params: tuple[tuple[str, str], ...]  # (name, FHIR search type)
    profile_doc: str = ""


REGISTRY: dict[str, ResourceRegistration] = {}
# Whole-system interactions offered at [base] ("transaction"), for the CapabilityStatement.
SYSTEM_INTERACTIONS: set[str] = set()


def register(registration: ResourceRegistration) -> Callable[[type], type]:
    def decorator(view: type) -> type:
        REGISTRY[registration.type] = registration
        return view

    return decorator
