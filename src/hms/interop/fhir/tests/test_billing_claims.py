"""GET /fhir/R4/Coverage, Claim, ClaimResponse and PaymentReconciliation: coverages,
claims and the payer's remittance, made through the billing services (an 835 file
imported), read and searched as validated R4 resources and audited."""

from __future__ import annotations

from decimal import Decimal

import pytest
from fhir.resources.R4B.claim import Claim as FhirClaim
from fhir.resources.R4B.claimresponse import ClaimResponse
from fhir.resources.R4B.coverage import Coverage as FhirCoverage
from fhir.resources.R4B.paymentreconciliation import PaymentReconciliation

from hms.billing.fhir_claims import claim_resource
from hms.billing.models import Coverage
from hms.billing.services import insurance
from hms.billing.tests import conftest as billing_fixtures
from hms.interop.fhir.tests.billing_data import PAID_ON, TRACE, ids, insured, read, reads_of
from hms.interop.fhir.tests.helpers import bearer_client

# The billing tests' tariff, staff and patient, made through the billing services.
tariff, supervisor, clerk, patient = (
    billing_fixtures.tariff,
    billing_fixtures.supervisor,
    billing_fixtures.clerk,
    billing_fixtures.patient,
)

BASE = "/fhir/R4"


@pytest.fixture
def data(facility, supervisor, clerk, tariff, patient):
    return insured(facility, supervisor, clerk, tariff, patient)


@pytest.fixture
def reader(clerk):
    return bearer_client(clerk)


@pytest.mark.django_db
def test_a_coverage_reads_with_its_member_id_masked(reader, data, patient):
    # when
    raw = read(reader, f"{BASE}/Coverage/{data.juma_coverage.external_id}")

    # then: as the REST API shows it, the member ID but for its last four
    coverage = FhirCoverage.model_validate(raw)
    assert coverage.subscriberId == "*********3456"
    assert "AAR-0012-3456" not in str(raw)
    assert coverage.status == "active"
    assert coverage.beneficiary.reference == f"Patient/{patient.external_id}"
    assert coverage.subscriber.reference == f"Patient/{patient.external_id}"
    assert coverage.relationship.coding[0].code == "self"
    assert raw["period"] == {"start": "2026-01-01"}
    assert raw["payor"] == [
        {
            "reference": f"Organization/{data.payer.external_id}",
            "identifier": {"system": "urn:hms:payer", "value": "AAR"},
            "display": "AAR Insurance",
        }
    ]
    assert raw["class"][0]["value"] == "GOLD"
    assert raw["order"] == 1
    assert raw["costToBeneficiary"][0]["valueMoney"] == {"value": 200.0, "currency": "KES"}
    assert reads_of(patient, "FHIR read Coverage") == 1


@pytest.mark.django_db
def test_a_dependant_coverage_names_the_policyholder(reader, data, clerk):
    # given: no service sets the policyholder yet, so the row is written here
    spouse = data.wanjiru_coverage
    Coverage.objects.filter(pk=spouse.pk).update(
        relationship="spouse", subscriber_given_name="Otieno", subscriber_family_name="Kamau"
    )

    # when
    raw = read(reader, f"{BASE}/Coverage/{spouse.external_id}")

    # then
    assert raw["relationship"]["coding"][0]["code"] == "spouse"
    assert raw["subscriber"] == {"display": "Otieno Kamau"}


@pytest.mark.django_db
def test_coverages_are_searched_by_patient_status_and_payor(reader, data, clerk, patient):
    # given
    insurance.cancel_coverage(actor=clerk, coverage=data.wanjiru_coverage, reason="Left AAR")
    juma, wanjiru = str(data.juma_coverage.external_id), str(data.wanjiru_coverage.external_id)
    coverages = f"{BASE}/Coverage"

    # when / then
    assert ids(read(reader, f"{coverages}?patient={patient.external_id}")) == [juma]
    assert ids(read(reader, f"{coverages}?beneficiary=Patient/{patient.external_id}")) == [juma]
    assert ids(read(reader, f"{coverages}?status=cancelled")) == [wanjiru]
    assert sorted(
        ids(read(reader, f"{coverages}?payor=Organization/{data.payer.external_id}"))
    ) == (sorted([juma, wanjiru]))
    assert ids(read(reader, f"{coverages}?status=draft")) == []


@pytest.mark.django_db
def test_a_claim_reads_as_the_export_builds_it(reader, data, patient):
    # when
    raw = read(reader, f"{BASE}/Claim/{data.juma_claim.external_id}")

    # then: one mapping, the export's
    assert raw == claim_resource(data.juma_claim).model_dump(mode="json", exclude_none=True)
    claim = FhirClaim.model_validate(raw)
    assert claim.status == "active"
    assert claim.patient.reference == f"Patient/{patient.external_id}"
    assert reads_of(patient, "FHIR read Claim") == 1


@pytest.mark.django_db
def test_claims_are_searched_by_patient_status_identifier_and_created(reader, data, patient):
    # given
    juma = str(data.juma_claim.external_id)
    claims = f"{BASE}/Claim"
    number = data.juma_claim.control_number

    # when / then
    assert ids(read(reader, f"{claims}?patient={patient.external_id}")) == [juma]
    assert len(ids(read(reader, f"{claims}?status=active"))) == 2
    assert ids(read(reader, f"{claims}?status=draft")) == []
    assert ids(read(reader, f"{claims}?identifier=urn:hms:claim|{number}")) == [juma]
    assert len(ids(read(reader, f"{claims}?created=ge2026-01-01"))) == 2
    assert ids(read(reader, f"{claims}?created=lt2026-01-01")) == []


@pytest.mark.django_db
def test_a_partly_paid_claim_has_a_partial_claim_response(reader, data, patient):
    # given
    claim = data.juma_claim

    # when
    raw = read(reader, f"{BASE}/ClaimResponse/{claim.external_id}")

    # then
    response = ClaimResponse.model_validate(raw)
    assert response.outcome == "partial"
    assert response.request.reference == f"Claim/{claim.external_id}"
    assert response.patient.reference == f"Patient/{patient.external_id}"
    assert response.insurer.reference == f"Organization/{data.payer.external_id}"
    assert response.identifier[0].value == "AAR-CLM-1"
    totals = {t["category"]["coding"][0]["code"]: t["amount"]["value"] for t in raw["total"]}
    assert totals == {
        "submitted": float(claim.amount),
        "benefit": float(claim.amount - Decimal(100)),
        "patient-responsibility": 40.0,
    }
    assert raw["payment"] == {
        "type": {
            "coding": [
                {
                    "system": "http://terminology.hl7.org/CodeSystem/ex-paymenttype",
                    "code": "partial",
                }
            ]
        },
        "date": PAID_ON.isoformat(),
        "amount": {"value": float(claim.amount - Decimal(100)), "currency": "KES"},
        "identifier": {"value": TRACE},
    }
    assert [e["code"]["text"] for e in raw["error"]] == ["CO-45"]
    assert reads_of(patient, "FHIR read ClaimResponse") == 1


@pytest.mark.django_db
def test_a_denied_claim_response_gives_the_reason_codes(reader, data):
    # when
    raw = read(reader, f"{BASE}/ClaimResponse/{data.wanjiru_claim.external_id}")

    # then
    assert raw["outcome"] == "complete"
    assert raw["disposition"] == "Denied"
    assert raw["error"] == [
        {
            "code": {
                "coding": [
                    {"system": "https://x12.org/codes/claim-adjustment-reason-codes", "code": "16"}
                ],
                "text": "CO-16",
            }
        }
    ]
    assert "payment" not in raw
    assert raw["processNote"][0]["text"].startswith(f"Remittance {TRACE}: denied")


@pytest.mark.django_db
def test_claim_responses_are_searched_by_request_patient_and_outcome(reader, data, patient):
    # given
    juma, wanjiru = str(data.juma_claim.external_id), str(data.wanjiru_claim.external_id)
    responses = f"{BASE}/ClaimResponse"

    # when / then
    assert ids(read(reader, f"{responses}?request=Claim/{juma}")) == [juma]
    assert ids(read(reader, f"{responses}?patient={patient.external_id}")) == [juma]
    assert ids(read(reader, f"{responses}?outcome=complete")) == [wanjiru]
    assert ids(read(reader, f"{responses}?outcome=partial")) == [juma]
    assert ids(read(reader, f"{responses}?outcome=queued")) == []


@pytest.mark.django_db
def test_a_remittance_reads_as_a_payment_reconciliation(reader, data, patient):
    # given
    remittance = data.remittance

    # when
    raw = read(reader, f"{BASE}/PaymentReconciliation/{remittance.external_id}")

    # then
    reconciliation = PaymentReconciliation.model_validate(raw)
    assert raw["paymentDate"] == PAID_ON.isoformat()
    assert raw["paymentAmount"] == {"value": float(remittance.total_paid), "currency": "KES"}
    assert raw["paymentIdentifier"] == {"system": "urn:hms:remittance-trace", "value": TRACE}
    assert reconciliation.paymentIssuer.reference == f"Organization/{data.payer.external_id}"
    details = [(d.request.reference, float(d.amount.value)) for d in reconciliation.detail]
    assert details == [
        (f"Claim/{data.juma_claim.external_id}", float(data.juma_claim.paid_amount)),
        (f"Claim/{data.wanjiru_claim.external_id}", 0.0),
    ]
    # then: a read of each patient whose claim it pays
    assert reads_of(patient, "FHIR read PaymentReconciliation") == 1
    assert reads_of(data.wanjiru_claim.invoice.patient, "FHIR read PaymentReconciliation") == 1


@pytest.mark.django_db
def test_remittances_are_searched_by_identifier_created_issuer_and_request(reader, data):
    # given
    found = str(data.remittance.external_id)
    search = f"{BASE}/PaymentReconciliation"

    # when / then
    assert ids(read(reader, f"{search}?identifier={TRACE}")) == [found]
    assert ids(read(reader, f"{search}?identifier=urn:hms:remittance-trace|OTHER")) == []
    assert ids(read(reader, f"{search}?created=ge2026-01-01")) == [found]
    assert ids(read(reader, f"{search}?created=lt2026-01-01")) == []
    assert ids(read(reader, f"{search}?payment-issuer=Organization/{data.payer.external_id}")) == [
        found
    ]
    assert ids(read(reader, f"{search}?request=Claim/{data.juma_claim.external_id}")) == [found]


def test_the_payer_a_coverage_names_reads_as_an_organization(reader, data):
    raw = read(reader, f"{BASE}/Organization/{data.payer.external_id}")

    assert raw["type"][0]["coding"][0]["code"] == "pay"
    assert raw["name"] == data.payer.name
    assert {"system": "urn:hms:payer", "value": data.payer.code} in raw["identifier"]
    found = read(reader, f"{BASE}/Organization?identifier=urn:hms:payer|{data.payer.code}")
    assert [e["resource"]["id"] for e in found["entry"]] == [str(data.payer.external_id)]
