"""Claims answered on receipt (accepted, or rejected with a reason), corrected and sent
again as a replacement of the payer's claim; dependants' claims name the policyholder
in loop 2000B and the patient in 2000C; the provider's NPI comes from the settings."""

import datetime as dt

import pytest
from django.test import override_settings

from hms.billing import x12
from hms.billing.models import Claim, Coverage
from hms.billing.services import claims
from hms.billing.services.claims import ClaimErrorCode, ClaimHasProblems
from hms.billing.services.insurance import Subscriber
from hms.billing.tests.claim_helpers import covered_claim, payer_and_plan
from hms.billing.tests.remittance_helpers import NOW, submitted_claim
from hms.core.errors import Conflict, InvalidInput
from hms.patients.testing import registered


@pytest.fixture
def payer_plan(facility, supervisor, tariff):
    return payer_and_plan(supervisor, facility, tariff)


def segments(text: str, tag: str) -> list[list[str]]:
    rows = [row.strip().split("*") for row in text.split("~") if row.strip()]
    return [row for row in rows if row[0] == tag]


def export(clerk, payer) -> str:
    return claims.export_claims(actor=clerk, payer=payer, file_format="x12").text


def test_an_acknowledgement_accepts_or_rejects(facility, clerk, payer_plan):
    _, plan = payer_plan
    first = submitted_claim(clerk, facility, plan)
    second = submitted_claim(clerk, facility, plan, given_name="Amani")

    accepted = claims.acknowledge_claim(
        actor=clerk, claim=first, accepted=True, payer_claim_number="PCN-9"
    )
    rejected = claims.acknowledge_claim(
        actor=clerk, claim=second, accepted=False, reason="Member id not found"
    )

    assert (accepted.status, accepted.payer_claim_number) == ("accepted", "PCN-9")
    assert (rejected.status, rejected.status_reason) == ("rejected", "Member id not found")
    again = claims.acknowledge_claim(actor=clerk, claim=first, accepted=True)
    assert again.status == "accepted"


def test_a_rejection_needs_a_reason_and_a_draft_no_answer(facility, clerk, payer_plan):
    _, plan = payer_plan
    sent = submitted_claim(clerk, facility, plan)
    draft = covered_claim(clerk, registered(facility, given_name="Amani"), plan)

    with pytest.raises(InvalidInput) as no_reason:
        claims.acknowledge_claim(actor=clerk, claim=sent, accepted=False, reason=" ")
    with pytest.raises(Conflict) as not_sent:
        claims.acknowledge_claim(actor=clerk, claim=draft, accepted=True)

    assert no_reason.value.field == "reason"
    assert not_sent.value.code == ClaimErrorCode.CLAIM_NOT_SUBMITTED
    assert Claim.objects.get(pk=sent.pk).status == "submitted"


def test_a_corrected_claim_goes_again_as_a_replacement(facility, clerk, payer_plan):
    payer, plan = payer_plan
    claim = submitted_claim(clerk, facility, plan)
    claims.acknowledge_claim(actor=clerk, claim=claim, accepted=True, payer_claim_number="PCN-9")
    Claim.objects.filter(pk=claim.pk).update(status="denied")  # as a remittance leaves it

    corrected = claims.correct_claim(actor=clerk, claim=claim, diagnosis_codes=["E11.9"])

    assert (corrected.status, corrected.attempt, corrected.submitted_at) == ("draft", 2, None)
    assert corrected.diagnosis_codes == ["E11.9"]
    text = export(clerk, payer)
    assert x12.validate_837(text).ok, x12.validate_837(text).errors
    [clm] = segments(text, "CLM")
    assert clm[5] == "11:B:7"
    assert ["REF", "F8", "PCN-9"] in segments(text, "REF")
    assert Claim.objects.get(pk=claim.pk).status == "submitted"


def test_a_rejected_claim_without_a_payer_number_goes_as_new(facility, clerk, payer_plan):
    payer, plan = payer_plan
    claim = submitted_claim(clerk, facility, plan)
    claims.acknowledge_claim(actor=clerk, claim=claim, accepted=False, reason="bad id")

    claims.correct_claim(actor=clerk, claim=claim)

    text = export(clerk, payer)
    assert x12.validate_837(text).ok
    assert segments(text, "CLM")[0][5] == "11:B:1"
    assert not [r for r in segments(text, "REF") if r[1] == "F8"]


def test_only_rejected_or_denied_claims_are_corrected(facility, clerk, payer_plan):
    _, plan = payer_plan
    claim = submitted_claim(clerk, facility, plan)

    with pytest.raises(Conflict) as refused:
        claims.correct_claim(actor=clerk, claim=claim, diagnosis_codes=["E11.9"])

    assert refused.value.code == ClaimErrorCode.CLAIM_NOT_CORRECTABLE
    claim.refresh_from_db()
    assert (claim.status, claim.attempt, claim.diagnosis_codes) == ("submitted", 1, ["J06.9"])


def test_a_correction_that_leaves_problems_saves_nothing(facility, clerk, payer_plan):
    _, plan = payer_plan
    claim = submitted_claim(clerk, facility, plan)
    claims.acknowledge_claim(actor=clerk, claim=claim, accepted=False, reason="bad")

    with pytest.raises(ClaimHasProblems):
        claims.correct_claim(actor=clerk, claim=claim, diagnosis_codes=[])
    with pytest.raises(InvalidInput):
        claims.correct_claim(actor=clerk, claim=claim, diagnosis_codes=["nope"])

    claim.refresh_from_db()
    assert (claim.status, claim.attempt, claim.diagnosis_codes) == ("rejected", 1, ["J06.9"])


HOME = {"line": "12 Moi Avenue", "city": "Nairobi", "postal_code": "00100"}


def dependant_claim(clerk, facility, plan, home=HOME, born=None):
    child = registered(facility, given_name="Baraka", family_name="Otieno", address=home)
    grace = Subscriber(family_name="Otieno", given_name="Grace", birth_date=born)
    return covered_claim(clerk, child, plan, relationship="child", subscriber=grace)


def test_a_dependants_claim_names_the_subscriber_and_the_patient(facility, clerk, payer_plan):
    payer, plan = payer_plan
    dependant_claim(clerk, facility, plan, born=dt.date(1980, 5, 1))
    covered_claim(clerk, registered(facility, given_name="Amani"), plan)

    text = x12.write_837p(
        list(Claim.objects.order_by("pk")),
        facility=facility,
        payer=payer,
        control_number=3,
        now=NOW,
    )

    check = x12.validate_837(text)
    assert check.ok, check.errors
    hls = [row[1:] for row in segments(text, "HL")]
    assert hls == [["1", "", "20", "1"], ["2", "1", "22", "1"], ["3", "2", "23", "0"],
                   ["4", "1", "22", "0"]]  # fmt: skip
    assert segments(text, "PAT") == [["PAT", "19"]]
    subscriber, _ = [r for r in segments(text, "NM1") if r[1] == "IL"]
    assert subscriber[3:5] == ["OTIENO", "GRACE"]
    [patient] = [r for r in segments(text, "NM1") if r[1] == "QC"]
    assert patient[3:5] == ["OTIENO", "BARAKA"]
    assert segments(text, "SBR")[0][2] == ""  # the patient is not the subscriber
    assert segments(text, "N3")[-1] == ["N3", "12 MOI AVENUE"]
    assert len(segments(text, "CLM")) == 2


def test_a_dependants_claim_needs_the_subscriber(facility, clerk, payer_plan):
    _, plan = payer_plan
    claim = dependant_claim(clerk, facility, plan, home=None)
    # A cover recorded before the policyholder's name was asked for.
    Coverage.objects.filter(pk=claim.coverage_id).update(subscriber_family_name="")
    claim = Claim.objects.get(pk=claim.pk)

    problems = claims.validate_claim(claim)

    assert [(p.code, p.field) for p in problems] == [
        (ClaimErrorCode.MISSING_SUBSCRIBER, "coverage.subscriber_family_name"),
        (ClaimErrorCode.MISSING_SUBSCRIBER, "coverage.subscriber_birth_date"),
        (ClaimErrorCode.MISSING_PATIENT_ADDRESS, "patient.address"),
    ]
    with pytest.raises(ClaimHasProblems):
        claims.submit_claims(actor=clerk, claims=[claim])


@pytest.mark.parametrize(
    ("npi", "tax_id", "says"),
    [("1234567890", "123456789", "HMS_BILLING_NPI"), ("", "123456789", "HMS_BILLING_NPI"),
     ("1234567893", "12-34", "HMS_BILLING_TAX_ID")],
)  # fmt: skip
def test_export_needs_a_valid_npi_and_tax_id(facility, clerk, payer_plan, npi, tax_id, says):
    payer, plan = payer_plan
    claim = covered_claim(clerk, registered(facility), plan)

    with (
        override_settings(HMS_BILLING_NPI=npi, HMS_BILLING_TAX_ID=tax_id),
        pytest.raises(Conflict, match=says) as refused,
    ):
        export(clerk, payer)

    assert refused.value.code == ClaimErrorCode.PROVIDER_NOT_CONFIGURED
    assert Claim.objects.get(pk=claim.pk).status == "draft"


def test_the_provider_numbers_come_from_the_settings(facility, clerk, payer_plan):
    payer, plan = payer_plan
    covered_claim(clerk, registered(facility), plan)

    with override_settings(HMS_BILLING_NPI="1245319599", HMS_BILLING_TAX_ID="987654321"):
        text = export(clerk, payer)

    assert [r for r in segments(text, "NM1") if r[1] == "85"][0][-2:] == ["XX", "1245319599"]
    assert ["REF", "EI", "987654321"] in segments(text, "REF")
