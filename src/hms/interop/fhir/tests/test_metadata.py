"""GET /fhir/R4/metadata: the CapabilityStatement, public and generated from the registry."""

import json

import pytest
from django.conf import settings
from django.utils import timezone
from fhir.resources.R4B.capabilitystatement import CapabilityStatement

from hms.audit.models import AuditEvent
from hms.interop.fhir.tests.helpers import FHIR_JSON, golden

URL = "/fhir/R4/metadata"


@pytest.mark.django_db
def test_metadata_is_public_and_a_valid_r4_capability_statement(client):
    # when
    response = client.get(URL)

    # then
    assert response.status_code == 200
    assert response["Content-Type"] == FHIR_JSON
    statement = CapabilityStatement.model_validate(json.loads(response.content))
    assert statement.fhirVersion == "4.0.1"
    assert statement.kind == "instance"
    assert [rest.mode for rest in statement.rest] == ["server"]


@pytest.mark.django_db
def test_metadata_lists_organization_with_read_and_search(client):
    # when
    statement = CapabilityStatement.model_validate(json.loads(client.get(URL).content))

    # then
    resources = {r.type: r for r in statement.rest[0].resource}
    organization = resources["Organization"]
    assert [i.code for i in organization.interaction] == ["read", "search-type"]
    assert {(p.name, p.type) for p in organization.searchParam} == {
        ("name", "string"),
        ("identifier", "token"),
        ("_id", "token"),
    }


@pytest.mark.django_db
def test_metadata_matches_the_golden_file(client):
    # when
    body = json.loads(client.get(URL).content)

    # then: the fields that vary by day, host and release are checked on their own
    assert body.pop("date") == timezone.now().date().isoformat()
    assert body["implementation"].pop("url") == "http://testserver/fhir/R4"
    assert body["software"].pop("version") == settings.HMS_VERSION
    assert body == golden("capability_statement.json")


def test_golden_capability_statement_round_trips_through_the_model():
    # given
    expected = golden("capability_statement.json")
    complete = {
        **expected,
        "date": "2025-03-03",
        "implementation": {**expected["implementation"], "url": "https://hms.example/fhir/R4"},
    }

    # when
    parsed = CapabilityStatement.model_validate(complete)

    # then
    assert parsed.model_dump(mode="json", exclude_none=True) == complete


@pytest.mark.django_db
def test_metadata_ignores_a_bad_token_and_writes_no_audit_row(client):
    # when
    response = client.get(URL, HTTP_AUTHORIZATION="Bearer hms_not-a-real-token")

    # then: clients read the statement before they authenticate
    assert response.status_code == 200
    assert AuditEvent.objects.exists() is False
