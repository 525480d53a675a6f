import datetime as dt
from decimal import Decimal

import pytest
from django.test import override_settings

from hms.billing import services
from hms.billing.errors import BillingErrorCode
from hms.billing.models import Charge, Invoice, InvoiceLine
from hms.core.errors import Conflict, InvalidInput, NotPermitted

DAY = dt.date(2026, 3, 2)


@pytest.fixture
def charges(tariff, clerk, patient):
    """A consultation (1,000, untaxed) and two blood counts (1,600 + 16 % tax)."""
    capture = services.capture_charge
    return [
        capture(actor=clerk, patient=patient, item_code="CONS", source="c", service_date=DAY),
        capture(
            actor=clerk, patient=patient, item_code="FBC", quantity=2, source="f", service_date=DAY
        ),
    ]


def test_a_draft_bills_every_unbilled_charge_and_balances(charges, clerk, patient):
    invoice = services.draft_invoice(actor=clerk, patient=patient)

    lines = list(invoice.lines.order_by("position"))
    assert [(line.description, line.gross, line.tax, line.line_total) for line in lines] == [
        ("Consultation", Decimal("1000.00"), Decimal("0.00"), Decimal("1000.00")),
        ("Full blood count", Decimal("1600.00"), Decimal("256.00"), Decimal("1856.00")),
    ]
    assert (invoice.subtotal, invoice.tax_total, invoice.total) == (
        Decimal("2600.00"),
        Decimal("256.00"),
        Decimal("2856.00"),
    )
    assert invoice.status == Invoice.Status.DRAFT
    assert invoice.number is None
    assert set(Charge.objects.values_list("invoice", flat=True)) == {invoice.pk}


def test_nothing_left_to_bill_is_a_conflict(charges, clerk, patient):
    services.draft_invoice(actor=clerk, patient=patient)

    with pytest.raises(Conflict) as exc:
        services.draft_invoice(actor=clerk, patient=patient)

    assert exc.value.code == BillingErrorCode.NOTHING_TO_BILL
    assert Invoice.objects.count() == 1


def test_a_percentage_discount_lowers_the_tax_too(charges, clerk, patient):
    invoice = services.draft_invoice(actor=clerk, patient=patient)

    invoice = services.apply_discount(
        actor=clerk, invoice=invoice, percent=Decimal("10"), reason="staff relative"
    )

    assert (invoice.subtotal, invoice.discount_total, invoice.tax_total, invoice.total) == (
        Decimal("2600.00"),
        Decimal("260.00"),
        Decimal("230.40"),
        Decimal("2570.40"),
    )


def test_an_amount_discount_is_spread_to_the_cent(charges, clerk, patient):
    invoice = services.draft_invoice(actor=clerk, patient=patient)

    invoice = services.apply_discount(
        actor=clerk, invoice=invoice, amount=Decimal("100.01"), reason="rounding down"
    )

    discounts = list(invoice.lines.order_by("position").values_list("discount", flat=True))
    assert sum(discounts) == Decimal("100.01") == invoice.discount_total
    assert invoice.total == invoice.subtotal - invoice.discount_total + invoice.tax_total


@override_settings(HMS_DISCOUNT_APPROVAL_PERCENT=10)
def test_a_discount_above_the_threshold_needs_a_supervisor(charges, clerk, supervisor, patient):
    invoice = services.draft_invoice(actor=clerk, patient=patient)

    with pytest.raises(NotPermitted) as exc:
        services.apply_discount(actor=clerk, invoice=invoice, percent=Decimal("25"), reason="x")
    approved = services.apply_discount(
        actor=supervisor, invoice=invoice, percent=Decimal("25"), reason="hardship"
    )

    assert exc.value.code == BillingErrorCode.DISCOUNT_NEEDS_APPROVAL
    assert approved.discount_total == Decimal("650.00")


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"percent": Decimal("101")}, "percent"),
        ({"percent": Decimal("-1")}, "percent"),
        ({"amount": Decimal("2600.01")}, "amount"),
        ({"percent": Decimal(1), "amount": Decimal(1)}, "percent"),
        ({}, "percent"),
    ],
)
def test_impossible_discounts_are_refused(charges, supervisor, patient, kwargs, field):
    invoice = services.draft_invoice(actor=supervisor, patient=patient)

    with pytest.raises(InvalidInput) as exc:
        services.apply_discount(actor=supervisor, invoice=invoice, reason="x", **kwargs)

    assert exc.value.field == field
    invoice.refresh_from_db()
    assert invoice.discount_total == 0


def test_finalising_numbers_invoices_per_facility_and_year(tariff, clerk, patient, facility):
    numbers = []
    for n in range(3):
        services.capture_charge(
            actor=clerk, patient=patient, item_code="CONS", source=f"c{n}", service_date=DAY
        )
        draft = services.draft_invoice(actor=clerk, patient=patient)
        numbers.append(services.finalise_invoice(actor=clerk, invoice=draft).number)

    year = Invoice.objects.first().finalised_at.year
    assert numbers == [f"RGH-{year}-{n:06d}" for n in (1, 2, 3)]
    assert set(Charge.objects.values_list("status", flat=True)) == {Charge.Status.BILLED}


def test_a_final_invoice_does_not_change(charges, clerk, supervisor, patient):
    invoice = services.finalise_invoice(
        actor=clerk, invoice=services.draft_invoice(actor=clerk, patient=patient)
    )

    with pytest.raises(Conflict) as discount:
        services.apply_discount(actor=supervisor, invoice=invoice, percent=Decimal(5), reason="x")
    with pytest.raises(Conflict) as again:
        services.finalise_invoice(actor=clerk, invoice=invoice)
    with pytest.raises(Conflict) as void:
        services.void_charge(actor=supervisor, charge=charges[0], reason="late")

    assert discount.value.code == again.value.code == BillingErrorCode.INVOICE_NOT_DRAFT
    assert void.value.code == BillingErrorCode.CHARGE_ON_FINAL_INVOICE
    invoice.refresh_from_db()
    assert (invoice.total, invoice.discount_total) == (Decimal("2856.00"), 0)
    assert Charge.objects.get(pk=charges[0].pk).status == Charge.Status.BILLED


def test_voiding_a_charge_on_a_draft_takes_it_off(charges, clerk, supervisor, patient):
    invoice = services.draft_invoice(actor=clerk, patient=patient)

    services.void_charge(actor=supervisor, charge=charges[1], reason="not done")

    invoice.refresh_from_db()
    assert invoice.total == Decimal("1000.00")
    assert list(InvoiceLine.objects.values_list("charge", flat=True)) == [charges[0].pk]


def test_a_cashier_finalises_but_a_doctor_may_not(charges, cashier, make_user, patient):
    draft = services.draft_invoice(actor=cashier, patient=patient)

    with pytest.raises(NotPermitted):
        services.finalise_invoice(actor=make_user("doctor"), invoice=draft)

    assert services.finalise_invoice(actor=cashier, invoice=draft).status == Invoice.Status.FINAL
