"""Insurance rules: payers, plans, coverages (member ID encrypted, found by exact
lookup), eligibility, pre-authorisations, and the split an invoice takes at
finalisation."""

import datetime as dt
from decimal import Decimal

import pytest
from django.db import connection
from django.utils import timezone

from hms.billing.models import Coverage, EligibilityCheck, PreAuthorisation
from hms.billing.services import insurance
from hms.billing.services.insurance import InsuranceErrorCode
from hms.billing.tests.payment_helpers import final_invoice_for
from hms.core.errors import Conflict, InvalidInput, NotPermitted
from hms.patients.models import Patient
from hms.patients.testing import registered

START = dt.date(2026, 1, 1)


@pytest.fixture
def plan(facility, supervisor, tariff):
    payer = insurance.add_payer(
        actor=supervisor, facility=facility, code="AAR", name="AAR Insurance", kind="insurer"
    )
    return insurance.add_plan(
        actor=supervisor,
        payer=payer,
        code="GOLD",
        name="Gold",
        copay="200",
        coinsurance_percent="10",
        deductible="500",
        preauth_items=[tariff.fbc],
    )


def cover(clerk, patient, plan, **changes):
    fields = {"member_id": "AAR-0012-3456", "valid_from": START, **changes}
    return insurance.add_coverage(actor=clerk, patient=patient, plan=plan, **fields)


def test_member_id_is_stored_encrypted_and_found_by_exact_lookup(clerk, patient, plan):
    coverage = cover(clerk, patient, plan)

    with connection.cursor() as cursor:
        cursor.execute("SELECT member_id FROM billing_coverage WHERE id = %s", [coverage.pk])
        (stored,) = cursor.fetchone()
    assert "0012" not in stored
    assert "3456" not in stored
    assert Coverage.objects.get().member_id == "AAR-0012-3456"
    index = insurance.member_id_index("aar 0012 3456")
    assert list(Coverage.objects.filter(member_id_index=index)) == [coverage]
    assert not Coverage.objects.filter(member_id_index=insurance.member_id_index("AAR-0012"))


def test_overlapping_active_coverage_of_one_plan_is_refused(clerk, patient, plan):
    cover(clerk, patient, plan, valid_until=dt.date(2026, 12, 31))

    with pytest.raises(Conflict) as exc:
        cover(clerk, patient, plan, valid_from=dt.date(2026, 6, 1))

    assert exc.value.code == InsuranceErrorCode.DUPLICATE_COVERAGE
    assert Coverage.objects.count() == 1
    # the next year's card is fine
    cover(clerk, patient, plan, valid_from=dt.date(2027, 1, 1))
    assert Coverage.objects.count() == 2


def test_a_cancelled_coverage_does_not_block_a_new_one(clerk, patient, plan):
    first = cover(clerk, patient, plan)
    insurance.cancel_coverage(actor=clerk, coverage=first, reason="typo in member id")

    cover(clerk, patient, plan, member_id="AAR-0012-3457")

    assert Coverage.objects.filter(status="active").count() == 1
    with pytest.raises(Conflict):
        insurance.cancel_coverage(actor=clerk, coverage=first, reason="again")


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"valid_until": dt.date(2025, 12, 31)}, "valid_until"),
        ({"valid_from": "2026-01-01"}, "valid_from"),
        ({"member_id": " - "}, "member_id"),
        ({"member_id": "x\x00"}, "member_id"),
        ({"priority": 0}, "priority"),
        ({"relationship": "cousin"}, "relationship"),
    ],
)
def test_bad_coverages_name_the_field(clerk, patient, plan, changes, field):
    with pytest.raises(InvalidInput) as exc:
        cover(clerk, patient, plan, **changes)

    assert exc.value.field == field
    assert Coverage.objects.count() == 0


def test_a_merged_away_patient_is_not_covered(facility, clerk, plan):
    survivor, merged = registered(facility), registered(facility)
    Patient.objects.filter(pk=merged.pk).update(status=Patient.Status.MERGED, merged_into=survivor)
    merged.refresh_from_db()

    with pytest.raises(InvalidInput) as exc:
        cover(clerk, merged, plan)

    assert exc.value.field == "patient"
    assert Coverage.objects.count() == 0


def test_a_patient_of_another_facility_is_refused(clerk, plan, other_facility):
    stranger = registered(other_facility)

    with pytest.raises(NotPermitted):
        cover(clerk, stranger, plan)

    assert Coverage.objects.count() == 0


def test_eligibility_is_kept_as_a_row(clerk, patient, plan):
    coverage = cover(clerk, patient, plan)
    now = timezone.now()

    check = insurance.record_eligibility(
        actor=clerk, coverage=coverage, outcome="eligible", note="portal", checked_at=now
    )

    assert (check.outcome, check.checked_at, check.created_by) == ("eligible", now, clerk)
    with pytest.raises(InvalidInput) as exc:
        insurance.record_eligibility(
            actor=clerk,
            coverage=coverage,
            outcome="eligible",
            note="",
            checked_at=now + dt.timedelta(days=1),
        )
    assert exc.value.field == "checked_at"
    assert EligibilityCheck.objects.count() == 1


def test_preauthorisation_is_requested_then_decided_once(clerk, patient, plan, tariff):
    coverage = cover(clerk, patient, plan)
    asked = insurance.request_preauthorisation(
        actor=clerk, coverage=coverage, item=tariff.fbc, requested_amount="5000"
    )
    too_much = {"approved_amount": "5000.01", "expires_on": dt.date(2099, 1, 1)}

    with pytest.raises(InvalidInput) as exc:
        insurance.decide_preauthorisation(
            actor=clerk, preauthorisation=asked, approved=True, **too_much
        )
    assert exc.value.field == "approved_amount"

    decided = insurance.decide_preauthorisation(
        actor=clerk,
        preauthorisation=asked,
        approved=True,
        approved_amount="4000",
        expires_on=dt.date(2099, 1, 1),
        reference="PA-77",
    )
    assert (decided.status, decided.approved_amount) == ("approved", Decimal("4000.00"))
    with pytest.raises(Conflict) as again:
        insurance.decide_preauthorisation(actor=clerk, preauthorisation=asked, approved=False)
    assert again.value.code == InsuranceErrorCode.PREAUTH_NOT_PENDING

    assert insurance.expire_preauthorisations(today=dt.date(2099, 1, 2)) == 1
    assert PreAuthorisation.objects.get().status == "expired"


def test_a_denied_preauthorisation_keeps_no_amount(clerk, patient, plan, tariff):
    coverage = cover(clerk, patient, plan)
    asked = insurance.request_preauthorisation(
        actor=clerk, coverage=coverage, item=tariff.fbc, requested_amount="100"
    )

    denied = insurance.decide_preauthorisation(
        actor=clerk, preauthorisation=asked, approved=False, note="not covered"
    )

    assert (denied.status, denied.approved_amount) == ("denied", None)


def test_finalising_splits_the_invoice_and_uses_the_deductible_once(clerk, patient, plan):
    cover(clerk, patient, plan)

    first = final_invoice_for(clerk, patient)  # 2,856.00
    second = final_invoice_for(clerk, patient, blood_counts=0)  # 1,000.00

    # 200 co-pay + 500 deductible + 10 % of 2,156.00
    assert (first.patient_amount, first.payer_amount) == (Decimal("915.60"), Decimal("1940.40"))
    assert first.deductible_applied == Decimal("500.00")
    # the deductible is met: 200 co-pay + 10 % of 800
    assert (second.patient_amount, second.payer_amount) == (Decimal("280.00"), Decimal("720.00"))


def test_the_deductible_year_is_the_facility_s_year(clerk, patient, plan, facility):
    import time_machine

    facility.timezone = "Africa/Nairobi"  # UTC+3
    facility.save(update_fields=["timezone"])
    cover(clerk, patient, plan)
    # 22:30 UTC on 31 December 2026 is already 1 January 2027 in Nairobi.
    with time_machine.travel(dt.datetime(2026, 12, 31, 22, 30, tzinfo=dt.UTC), tick=False):
        first = final_invoice_for(clerk, patient)
    with time_machine.travel(dt.datetime(2027, 1, 2, 9, 0, tzinfo=dt.UTC), tick=False):
        second = final_invoice_for(clerk, patient, blood_counts=0)

    assert first.number.startswith("RGH-2027-")
    assert first.deductible_applied == Decimal("500.00")
    # the same (facility) year: the deductible was met on New Year's night
    assert second.deductible_applied == Decimal("0.00")


def test_an_uncovered_patient_has_no_split(clerk, patient, tariff):
    invoice = final_invoice_for(clerk, patient)

    assert (invoice.payer_amount, invoice.patient_amount, invoice.coverage) == (None, None, None)


def test_the_daily_task_expires_approvals_past_their_last_day(clerk, patient, plan, tariff):
    import time_machine

    from hms.billing.tasks import expire_preauthorisations

    asked = insurance.request_preauthorisation(
        actor=clerk, coverage=cover(clerk, patient, plan), item=tariff.fbc, requested_amount="900"
    )
    last_day = timezone.localdate() + dt.timedelta(days=3)
    insurance.decide_preauthorisation(
        actor=clerk,
        preauthorisation=asked,
        approved=True,
        approved_amount="900",
        expires_on=last_day,
    )
    assert expire_preauthorisations.call() == 0
    with time_machine.travel(dt.datetime.combine(last_day + dt.timedelta(days=1), dt.time(12))):
        assert expire_preauthorisations.call() == 1
    assert PreAuthorisation.objects.get().status == "expired"
