"""Who reads the billing resources and what a search refuses: the REST API's billing
permission (VIEW_BILLING) in the viewer's own facility, an OperationOutcome for a
search parameter that cannot be answered, and each resource in the
CapabilityStatement."""

from __future__ import annotations

import json

import pytest
from fhir.resources.R4B.capabilitystatement import CapabilityStatement

from hms.audit.models import AuditEvent
from hms.billing.tests import conftest as billing_fixtures
from hms.interop.fhir.tests.billing_data import eligibility_checked, ids, insured, read
from hms.interop.fhir.tests.helpers import operation_outcome

# The billing tests' tariff, staff and patient, made through the billing services.
tariff, supervisor, clerk, patient = (
    billing_fixtures.tariff,
    billing_fixtures.supervisor,
    billing_fixtures.clerk,
    billing_fixtures.patient,
)

BASE = "/fhir/R4"
TYPES = (
    "ChargeItem",
    "Invoice",
    "Coverage",
    "Claim",
    "ClaimResponse",
    "PaymentReconciliation",
    "CoverageEligibilityRequest",
    "CoverageEligibilityResponse",
)


@pytest.fixture
def rows(facility, supervisor, clerk, tariff, patient) -> dict[str, str]:
    """The id of one resource of each type."""
    data = insured(facility, supervisor, clerk, tariff, patient)
    check = eligibility_checked(clerk, data.juma_coverage)
    return {
        "ChargeItem": str(data.juma_invoice.lines.first().charge.external_id),
        "Invoice": str(data.juma_invoice.external_id),
        "Coverage": str(data.juma_coverage.external_id),
        "Claim": str(data.juma_claim.external_id),
        "ClaimResponse": str(data.juma_claim.external_id),
        "PaymentReconciliation": str(data.remittance.external_id),
        "CoverageEligibilityRequest": str(check.external_id),
        "CoverageEligibilityResponse": str(check.external_id),
    }


def _no_reads() -> bool:
    return not AuditEvent.objects.filter(
        action=AuditEvent.Action.READ, outcome=AuditEvent.Outcome.SUCCESS
    ).exists()


@pytest.mark.parametrize("resource_type", TYPES)
@pytest.mark.django_db
def test_a_billing_clerk_reads_and_finds_each(api_client_for, rows, resource_type):
    # given
    clerk = api_client_for("billing_clerk")

    # when
    raw = read(clerk, f"{BASE}/{resource_type}/{rows[resource_type]}")
    found = ids(read(clerk, f"{BASE}/{resource_type}?_id={rows[resource_type]}"))

    # then
    assert (raw["resourceType"], raw["id"]) == (resource_type, rows[resource_type])
    assert found == [rows[resource_type]]


@pytest.mark.parametrize("role", ["doctor", "auditor"])
@pytest.mark.parametrize("resource_type", TYPES)
@pytest.mark.django_db
def test_a_role_without_billing_is_refused_and_nothing_is_read(
    api_client_for, rows, resource_type, role
):
    # given
    outsider = api_client_for(role)

    # when
    by_id = outsider.get(f"{BASE}/{resource_type}/{rows[resource_type]}")
    search = outsider.get(f"{BASE}/{resource_type}")

    # then
    for response in (by_id, search):
        assert response.status_code == 403
        assert operation_outcome(response).issue[0].code == "forbidden"
    assert _no_reads()


@pytest.mark.parametrize("resource_type", TYPES)
@pytest.mark.django_db
def test_another_facilitys_clerk_neither_reads_nor_finds_them(
    api_client_for, rows, resource_type, other_facility
):
    # given
    stranger = api_client_for("billing_clerk", at=other_facility)

    # when
    by_id = stranger.get(f"{BASE}/{resource_type}/{rows[resource_type]}")
    found = ids(read(stranger, f"{BASE}/{resource_type}"))

    # then
    assert by_id.status_code == 404
    assert operation_outcome(by_id).issue[0].code == "not-found"
    assert found == []
    assert _no_reads()


@pytest.mark.parametrize(
    ("resource_type", "query", "named"),
    [
        ("ChargeItem", "colour=red", "colour"),
        ("ChargeItem", "status=paid", "status"),
        ("ChargeItem", "status=http://other|billed", "status"),
        ("ChargeItem", "occurrence=2026-13-01", "occurrence"),
        ("ChargeItem", "entered-date=ap2026", "entered-date"),
        ("ChargeItem", "patient=Practitioner/1", "patient"),
        ("ChargeItem", "encounter=<script>", "encounter"),
        ("Invoice", "status=final", "status"),
        ("Invoice", "date=yesterday", "date"),
        ("Invoice", "patient=", "patient"),
        ("Coverage", "payor=Patient/1", "payor"),
        ("Coverage", "status=active%00", "status"),
        ("Coverage", "subscriber-id=AAR", "subscriber-id"),
        ("Claim", "status=submitted", "status"),
        ("Claim", "created=2026-02-30", "created"),
        ("ClaimResponse", "outcome=paid", "outcome"),
        ("ClaimResponse", "request=Invoice/1", "request"),
        ("PaymentReconciliation", "created=ge", "created"),
        ("PaymentReconciliation", "payment-issuer=" + "x" * 201, "payment-issuer"),
        ("CoverageEligibilityRequest", "patient=Patient/not-a-uuid", "patient"),
        ("CoverageEligibilityResponse", "outcome=complete", "outcome"),
        ("CoverageEligibilityResponse", "_count=many", "_count"),
    ],
)
@pytest.mark.django_db
def test_a_search_that_cannot_be_answered_is_a_400_naming_the_parameter(
    api_client_for, resource_type, query, named
):
    # when
    response = api_client_for("billing_clerk").get(f"{BASE}/{resource_type}?{query}")

    # then
    assert response.status_code == 400, response.content
    issue = operation_outcome(response).issue[0]
    assert issue.code == "invalid"
    assert f"'{named}'" in issue.diagnostics


@pytest.mark.django_db
def test_the_capability_statement_lists_each_billing_resource(client):
    # when
    statement = CapabilityStatement.model_validate(
        json.loads(client.get(f"{BASE}/metadata").content)
    )

    # then
    resources = {r.type: r for r in statement.rest[0].resource}
    for resource_type in TYPES:
        interactions = [i.code for i in resources[resource_type].interaction]
        assert interactions[:2] == ["read", "search-type"]
    assert [i.code for i in resources["CoverageEligibilityResponse"].interaction] == [
        "read",
        "search-type",
        "create",
    ]
    assert {(p.name, p.type) for p in resources["Invoice"].searchParam} == {
        ("_id", "token"),
        ("patient", "reference"),
        ("subject", "reference"),
        ("status", "token"),
        ("date", "date"),
        ("identifier", "token"),
    }
