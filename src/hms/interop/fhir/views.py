from __future__ import annotations

import json

from django.conf import settings
from django.http import HttpResponse
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt
from fhir.resources.R4B.capabilitystatement import CapabilityStatement
from rest_framework.permissions import AllowAny
from rest_framework.response import Response

from hms.core.views import address_unknown
from hms.interop.fhir.base import (
    FHIR_JSON,
    FHIR_VERSION,
    REGISTRY,
    SYSTEM_INTERACTIONS,
    FhirApiView,
    operation_outcome,
)


def capability_statement(base_url: str) -> CapabilityStatement:
    """Built from the registered resources, so it always says what the server serves."""
    resources = [
        {
            "type": reg.type,
            "interaction": [{"code": code} for code in reg.interactions],
            "searchParam": [{"name": name, "type": kind} for name, kind in reg.search_params],
        }
        for reg in sorted(REGISTRY.values(), key=lambda r: r.type)
    ]
    return CapabilityStatement(
        status="active",
        date=timezone.now().date().isoformat(),
        kind="instance",
        publisher="hms",
        software={"name": "hms", "version": settings.HMS_VERSION},
        implementation={"description": "hms FHIR R4 API", "url": base_url},
        fhirVersion=FHIR_VERSION,
        format=[FHIR_JSON, "json"],
        rest=[
            {
                "mode": "server",
                "security": {
                    "description": "Send an API token as 'Authorization: Bearer <token>' "
                    "(issue one with `hms token` or on the API tokens page).",
                },
                "resource": resources,
                "interaction": [{"code": code} for code in sorted(SYSTEM_INTERACTIONS)] or None,
            }
        ],
    )


class MetadataApi(FhirApiView):
    """The CapabilityStatement; public, as FHIR clients read it before authenticating."""

    permission_classes = [AllowAny]
    authentication_classes: list = []

    def get(self, request):
        statement = capability_statement(request.build_absolute_uri("/fhir/R4"))
        return Response(statement.model_dump(mode="json", exclude_none=True))


@address_unknown
@csrf_exempt  # changes nothing; a bearer-token client sends no CSRF token
def not_found(request, path: str = "") -> HttpResponse:
    """Unknown resource types and addresses answer with an OperationOutcome, whatever
    the method."""
    body = operation_outcome(
        404, f"This server has no {path or 'resource'} endpoint.", "not-supported"
    )
    return HttpResponse(json.dumps(body), status=404, content_type=FHIR_JSON)
