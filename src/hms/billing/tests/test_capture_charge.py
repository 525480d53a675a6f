import datetime as dt
from decimal import Decimal

import pytest

from hms.audit.models import AuditEvent
from hms.billing import services
from hms.billing.errors import BillingErrorCode
from hms.billing.models import Charge
from hms.core.errors import Conflict, InvalidInput, NotPermitted
from hms.patients.models import Patient
from hms.patients.testing import registered

DAY = dt.date(2026, 3, 2)


def capture(actor, patient, **kwargs):
    values = {"item_code": "FBC", "source": "lab:1", "service_date": DAY, **kwargs}
    return services.capture_charge(actor=actor, patient=patient, **values)


def test_priced_from_the_self_pay_list_with_its_tax(tariff, clerk, patient):
    charge = capture(clerk, patient, quantity=2)

    assert (charge.price_list, charge.unit_price, charge.tax_rate) == (
        tariff.self_pay,
        Decimal("800.00"),
        Decimal("16.00"),
    )
    assert charge.amount == Decimal("1600.00")
    assert charge.status == Charge.Status.BILLABLE
    assert AuditEvent.objects.filter(object_id=str(charge.external_id)).count() == 1


def test_priced_from_the_given_list_or_the_self_pay_list_when_it_has_no_price(
    tariff, clerk, patient
):
    fbc = capture(clerk, patient, price_list=tariff.insurer)
    consult = capture(clerk, patient, item_code="CONS", source="c:1", price_list=tariff.insurer)

    assert (fbc.price_list, fbc.unit_price) == (tariff.insurer, Decimal("700.00"))
    assert (consult.price_list, consult.unit_price) == (tariff.self_pay, Decimal("1000.00"))


def test_a_covered_patient_is_priced_from_the_plan_s_list_on_the_service_day(
    tariff, supervisor, clerk, patient, facility
):
    from hms.billing.services import insurance

    payer = insurance.add_payer(
        actor=supervisor, facility=facility, code="NHIF", name="NHIF", kind="government"
    )
    plan = insurance.add_plan(
        actor=supervisor, payer=payer, code="STD", name="Standard", price_list=tariff.insurer
    )
    insurance.add_coverage(
        actor=clerk,
        patient=patient,
        plan=plan,
        member_id="N-1",
        valid_from=DAY,
        valid_until=DAY + dt.timedelta(days=1),
    )

    covered = capture(clerk, patient, source="a")
    not_on_the_plan = capture(clerk, patient, item_code="CONS", source="b")
    after_it_ended = capture(clerk, patient, source="c", service_date=DAY + dt.timedelta(days=2))
    given_list = capture(clerk, patient, source="d", price_list=tariff.self_pay)

    assert (covered.price_list, covered.unit_price) == (tariff.insurer, Decimal("700.00"))
    assert (not_on_the_plan.price_list, not_on_the_plan.unit_price) == (
        tariff.self_pay,
        Decimal("1000.00"),
    )
    assert after_it_ended.price_list == tariff.self_pay
    assert given_list.unit_price == Decimal("800.00")


def test_priced_at_the_price_in_force_on_the_service_date(tariff, supervisor, clerk, patient):
    services.set_price(
        actor=supervisor,
        item=tariff.fbc,
        price_list=tariff.self_pay,
        amount=Decimal("900"),
        valid_from=dt.date(2026, 4, 1),
    )

    before = capture(clerk, patient, service_date=dt.date(2026, 3, 31), source="a")
    after = capture(clerk, patient, service_date=dt.date(2026, 4, 1), source="b")

    assert (before.unit_price, after.unit_price) == (Decimal("800.00"), Decimal("900.00"))


def test_a_retry_returns_the_first_charge(tariff, clerk, patient):
    first = capture(clerk, patient)

    again = capture(clerk, patient, quantity=5)

    assert again.pk == first.pk
    assert Charge.objects.count() == 1
    assert again.quantity == 1


def test_a_source_reused_for_another_patient_is_a_conflict(tariff, clerk, patient, facility):
    capture(clerk, patient)
    other = registered(facility, given_name="Achieng")

    with pytest.raises(Conflict) as exc:
        capture(clerk, other)

    assert (exc.value.code, exc.value.field) == (BillingErrorCode.SOURCE_REUSED, "source")
    assert Charge.objects.count() == 1


@pytest.mark.parametrize(
    ("changes", "code", "field"),
    [
        ({"item_code": "NOPE"}, BillingErrorCode.UNKNOWN_ITEM, "item_code"),
        ({"item_code": None}, BillingErrorCode.UNKNOWN_ITEM, "item_code"),
        ({"service_date": dt.date(2025, 12, 31)}, BillingErrorCode.NO_PRICE, "item_code"),
        ({"service_date": dt.date(2999, 1, 1)}, BillingErrorCode.INVALID_DATE, "service_date"),
        ({"service_date": "2026-03-02"}, BillingErrorCode.INVALID_DATE, "service_date"),
        ({"quantity": 0}, BillingErrorCode.INVALID_QUANTITY, "quantity"),
        ({"quantity": -1}, BillingErrorCode.INVALID_QUANTITY, "quantity"),
        ({"quantity": 10_001}, BillingErrorCode.INVALID_QUANTITY, "quantity"),
        ({"quantity": 1.5}, BillingErrorCode.INVALID_QUANTITY, "quantity"),
        ({"quantity": "0.0001"}, BillingErrorCode.INVALID_QUANTITY, "quantity"),
        ({"quantity": "NaN"}, BillingErrorCode.INVALID_QUANTITY, "quantity"),
        ({"source": "  "}, "INVALID_INPUT", "source"),
        ({"source": "x\x00"}, "INVALID_INPUT", "source"),
    ],
)
def test_bad_input_is_refused_naming_the_field_and_nothing_is_saved(
    tariff, clerk, patient, changes, code, field
):
    audited = AuditEvent.objects.count()

    with pytest.raises(InvalidInput) as exc:
        capture(clerk, patient, **changes)

    assert (exc.value.code, exc.value.field) == (code, field)
    assert Charge.objects.count() == 0
    assert AuditEvent.objects.count() == audited


@pytest.mark.parametrize("status", ["merged", "entered_in_error"])
def test_a_merged_away_or_erroneous_record_is_not_charged(tariff, clerk, patient, facility, status):
    survivor = registered(facility, given_name="Survivor")
    Patient.objects.filter(pk=patient.pk).update(
        status=status, merged_into=survivor if status == "merged" else None
    )
    patient.refresh_from_db()

    with pytest.raises(InvalidInput) as exc:
        capture(clerk, patient)

    assert (exc.value.code, exc.value.field) == (BillingErrorCode.PATIENT_NOT_BILLABLE, "patient")
    assert Charge.objects.count() == 0


def test_a_patient_of_another_facility_is_refused(tariff, clerk, facility, other_facility):
    stranger = registered(other_facility)

    with pytest.raises(InvalidInput) as exc:
        capture(clerk, stranger, facility=facility)

    assert (exc.value.code, exc.value.field) == (BillingErrorCode.WRONG_FACILITY, "patient")
    assert Charge.objects.count() == 0


def test_pricing_by_hand_needs_the_override_permission(tariff, clerk, supervisor, patient):
    with pytest.raises(NotPermitted):
        capture(clerk, patient, unit_price=Decimal("10"))

    charge = capture(supervisor, patient, unit_price=Decimal("10"))

    assert (charge.unit_price, charge.price_overridden) == (Decimal("10"), True)


def test_voiding_needs_the_permission_and_a_reason(tariff, clerk, supervisor, patient):
    charge = capture(clerk, patient)

    with pytest.raises(NotPermitted):
        services.void_charge(actor=clerk, charge=charge, reason="wrong patient")
    with pytest.raises(InvalidInput) as exc:
        services.void_charge(actor=supervisor, charge=charge, reason=" ")
    voided = services.void_charge(actor=supervisor, charge=charge, reason="wrong patient")

    assert exc.value.field == "reason"
    assert (voided.status, voided.void_reason) == (Charge.Status.VOID, "wrong patient")
    with pytest.raises(Conflict) as again:
        services.void_charge(actor=supervisor, charge=voided, reason="twice")
    assert again.value.code == BillingErrorCode.CHARGE_ALREADY_VOID
