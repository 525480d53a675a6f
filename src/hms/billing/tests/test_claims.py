"""Claims from final invoices: built from the payer's portion, checked for every
problem a payer would refuse them for, and submitted all or none."""

import datetime as dt
from decimal import Decimal

import pytest

from hms.billing.models import Claim
from hms.billing.services import claims, insurance
from hms.billing.services.claims import ClaimErrorCode, ClaimHasProblems
from hms.billing.tests.claim_helpers import covered_claim, payer_and_plan
from hms.billing.tests.payment_helpers import final_invoice_for
from hms.core.errors import Conflict, InvalidInput, NotPermitted


@pytest.fixture
def plan(facility, supervisor, tariff):
    return payer_and_plan(supervisor, facility, tariff)[1]


def codes(problems):
    return [(p.code, p.field) for p in problems]


def test_a_claim_asks_the_payer_for_its_portion_once(clerk, patient, plan):
    claim = covered_claim(clerk, patient, plan)

    invoice = claim.invoice
    # 2,856.00: 200 co-pay + 10 % of 2,656.00 is the patient's, the rest the payer's
    assert (invoice.patient_amount, claim.amount) == (Decimal("465.60"), Decimal("2390.40"))
    assert (claim.status, claim.payer, claim.coverage) == ("draft", plan.payer, invoice.coverage)
    assert claim.control_number == invoice.number
    assert claim.diagnosis_codes == ["J06.9"]
    again = claims.build_claim(actor=clerk, invoice=invoice, diagnosis_codes=["A00"])
    assert again == claim
    assert Claim.objects.count() == 1


def test_only_a_final_invoice_with_a_payer_portion_is_claimed(clerk, patient, tariff):
    uncovered = final_invoice_for(clerk, patient)

    with pytest.raises(Conflict) as exc:
        claims.build_claim(actor=clerk, invoice=uncovered, diagnosis_codes=["J06.9"])

    assert exc.value.code == ClaimErrorCode.NO_PAYER_PORTION
    assert Claim.objects.count() == 0


def test_a_draft_invoice_is_not_claimed(clerk, patient, plan):
    from hms.billing import services

    insurance.add_coverage(
        actor=clerk, patient=patient, plan=plan, member_id="X1", valid_from=dt.date(2026, 1, 1)
    )
    services.capture_charge(
        actor=clerk, patient=patient, item_code="CONS", source="claim:1",
        service_date=dt.date(2026, 3, 2),
    )  # fmt: skip
    draft = services.draft_invoice(actor=clerk, patient=patient)

    with pytest.raises(Conflict) as exc:
        claims.build_claim(actor=clerk, invoice=draft)

    assert exc.value.code == ClaimErrorCode.INVOICE_NOT_FINAL


@pytest.mark.parametrize(
    "bad",
    [
        ["J06.9~"],
        ["'; DROP TABLE billing_claim; --"],
        ["J06.9", "J06.9"],
        ["A00"] * 13,
        [None],
        "J06.9",
        [""],
        ["X" * 5000],
    ],
)
def test_bad_diagnosis_codes_are_refused_by_field(clerk, patient, plan, bad):
    with pytest.raises(InvalidInput) as exc:
        covered_claim(clerk, patient, plan, diagnosis_codes=bad)

    assert exc.value.field == "diagnosis_codes"
    assert Claim.objects.count() == 0


def test_building_a_claim_needs_the_invoice_permission(make_user, clerk, patient, plan):
    claim = covered_claim(clerk, patient, plan)
    nurse = make_user("nurse")

    with pytest.raises(NotPermitted):
        claims.build_claim(actor=nurse, invoice=claim.invoice)
    with pytest.raises(NotPermitted):
        claims.submit_claims(actor=nurse, claims=[claim])
    assert Claim.objects.get().status == "draft"


def test_a_ready_claim_has_no_problems(clerk, patient, plan):
    assert claims.validate_claim(covered_claim(clerk, patient, plan)) == []


def test_a_claim_without_a_diagnosis_has_a_problem(clerk, patient, plan):
    claim = covered_claim(clerk, patient, plan, diagnosis_codes=[])

    assert codes(claims.validate_claim(claim)) == [("MISSING_DIAGNOSIS", "diagnosis_codes")]


def test_services_before_the_coverage_began_are_problems(clerk, patient, plan):
    # In force when the invoice was finalised, but not on 2 March, the service day.
    claim = covered_claim(clerk, patient, plan, valid_from=dt.date(2026, 4, 1))

    found = codes(claims.validate_claim(claim))

    assert found == [("COVERAGE_NOT_IN_FORCE", f"lines[{n}]") for n in (1, 2, 3)]


def test_items_needing_approval_are_problems_until_approved(
    facility, supervisor, clerk, patient, tariff
):
    _, plan = payer_and_plan(supervisor, facility, tariff, preauth=[tariff.fbc])
    claim = covered_claim(clerk, patient, plan)

    assert codes(claims.validate_claim(claim)) == [
        ("MISSING_PREAUTH", "lines[2]"),
        ("MISSING_PREAUTH", "lines[3]"),
    ]

    denied = insurance.request_preauthorisation(
        actor=clerk, coverage=claim.coverage, item=tariff.fbc, requested_amount="2000"
    )
    insurance.decide_preauthorisation(actor=clerk, preauthorisation=denied, approved=False)
    assert len(claims.validate_claim(claim)) == 2

    asked = insurance.request_preauthorisation(
        actor=clerk, coverage=claim.coverage, item=tariff.fbc, requested_amount="2000"
    )
    insurance.decide_preauthorisation(
        actor=clerk,
        preauthorisation=asked,
        approved=True,
        approved_amount="2000",
        expires_on=dt.date(2099, 1, 1),
    )
    assert claims.validate_claim(claim) == []


def test_submission_marks_ready_claims_submitted_once(clerk, patient, plan):
    claim = covered_claim(clerk, patient, plan)

    [submitted] = claims.submit_claims(actor=clerk, claims=[claim])

    assert submitted.status == "submitted"
    assert submitted.submitted_at is not None
    with pytest.raises(Conflict) as exc:
        claims.submit_claims(actor=clerk, claims=[claim])
    assert exc.value.code == ClaimErrorCode.CLAIM_NOT_DRAFT


def test_a_claim_with_problems_is_refused_with_the_list_and_none_is_sent(clerk, patient, plan):
    good = covered_claim(clerk, patient, plan)
    second = final_invoice_for(clerk, patient)
    bad = claims.build_claim(actor=clerk, invoice=second)  # no diagnosis

    with pytest.raises(ClaimHasProblems) as exc:
        claims.submit_claims(actor=clerk, claims=[good, bad])

    assert exc.value.status == 409
    body = exc.value.as_dict()
    assert body["code"] == "CLAIM_HAS_PROBLEMS"
    assert body["problems"] == {
        bad.control_number: [
            {
                "code": "MISSING_DIAGNOSIS",
                "field": "diagnosis_codes",
                "detail": "Give a diagnosis code.",
            }
        ]
    }
    assert set(Claim.objects.values_list("status", flat=True)) == {"draft"}


def test_submitting_nothing_is_refused(clerk):
    with pytest.raises(InvalidInput) as exc:
        claims.submit_claims(actor=clerk, claims=[])
    assert exc.value.field == "claims"
