"""Helpers for the FHIR tests: golden files and response parsing."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from fhir.resources.R4B.operationoutcome import OperationOutcome
from rest_framework.test import APIClient

from hms.accounts import services

FIXTURES = Path(__file__).parent / "fixtures"
FHIR_JSON = "application/fhir+json"


def golden(name: str) -> dict[str, Any]:
    return json.loads((FIXTURES / name).read_text(encoding="utf-8"))


def operation_outcome(response) -> OperationOutcome:
    """The response's body as a validated OperationOutcome (raises if it is not one)."""
    assert response["Content-Type"] == FHIR_JSON
    return OperationOutcome.model_validate(json.loads(response.content))


def bearer_client(user) -> APIClient:
    """A DRF client sending a fresh bearer token of an existing `user`."""
    # A week: tests that travel to tomorrow's clinic keep it valid there.
    _, raw = services.issue_token(
        actor=None, user=user, name="test", days=7, skip_permission_checks=True
    )
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")
    return client
