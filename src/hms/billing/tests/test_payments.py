"""Taking payments: split payments settle an invoice, the rules on amounts, methods,
references, shifts and invoice states, deposits applied later, and refunds."""

from __future__ import annotations

from decimal import Decimal

import pytest

from hms.audit.models import AuditEvent
from hms.billing import payment_selectors, services
from hms.billing.errors import BillingErrorCode
from hms.billing.models import Invoice, Payment, PaymentAllocation, Refund
from hms.core.errors import Conflict, InvalidInput, NotPermitted

pytestmark = pytest.mark.django_db


@pytest.fixture
def till(cashier, facility):
    return services.open_shift(actor=cashier, facility=facility, opening_float="500")


def pay(cashier, invoice, amount, method="cash", reference="", **kwargs):
    return services.take_payment(
        actor=cashier, invoice=invoice, amount=amount, method=method, reference=reference, **kwargs
    )


def test_split_payment_by_three_methods_settles_the_invoice(final_invoice, cashier, till):
    # when: cash, card and mobile money, each part of the bill
    first = pay(cashier, final_invoice, "1000")
    invoice = Invoice.objects.get(pk=final_invoice.pk)
    assert (invoice.status, invoice.balance) == ("final", Decimal("1856.00"))
    second = pay(cashier, final_invoice, "856", "card", "TRM-0042")
    third = pay(cashier, final_invoice, "1000.00", "mobile_money", "qgh7xk2m1p")

    # then
    invoice.refresh_from_db()
    assert invoice.status == Invoice.Status.PAID
    assert (invoice.amount_paid, invoice.balance) == (Decimal("2856.00"), 0)
    year = invoice.finalised_at.year
    assert [p.receipt_number for p in (first, second, third)] == [
        f"RGH-RCT-{year}-{n:06d}" for n in (1, 2, 3)
    ]
    assert third.reference == "QGH7XK2M1P"
    assert {p.shift_id for p in (first, second, third)} == {till.pk}
    assert sum(a.amount for a in PaymentAllocation.objects.all()) == invoice.total
    assert AuditEvent.objects.filter(object_type__icontains="payment").count() == 3


@pytest.mark.parametrize("amount", ["0", "-5", 12.5, "1.234", "abc", None, True, "NaN"])
def test_refuses_amounts_that_are_not_money(final_invoice, cashier, till, amount):
    with pytest.raises(InvalidInput) as exc:
        pay(cashier, final_invoice, amount)

    assert (exc.value.code, exc.value.field) == (BillingErrorCode.INVALID_AMOUNT, "amount")
    assert Payment.objects.count() == 0


def test_refuses_more_than_the_balance_unless_the_surplus_is_a_deposit(
    final_invoice, cashier, till, patient
):
    with pytest.raises(InvalidInput) as exc:
        pay(cashier, final_invoice, "3000")
    assert exc.value.code == BillingErrorCode.AMOUNT_ABOVE_BALANCE
    assert Payment.objects.count() == 0

    payment = pay(cashier, final_invoice, "3000", surplus_to_deposit=True)

    final_invoice.refresh_from_db()
    assert final_invoice.status == Invoice.Status.PAID
    assert payment.unallocated == Decimal("144.00")
    assert payment_selectors.deposit_balance(patient=patient) == Decimal("144.00")


@pytest.mark.parametrize("status", ["draft", "void", "paid"])
def test_refuses_payment_on_a_draft_void_or_settled_invoice(final_invoice, cashier, till, status):
    Invoice.objects.filter(pk=final_invoice.pk).update(
        status=status, void_reason="Entered in error", voided_at=final_invoice.finalised_at
    )
    if status == "paid":
        Invoice.objects.filter(pk=final_invoice.pk).update(amount_paid=final_invoice.total)

    with pytest.raises(Conflict) as exc:
        pay(cashier, final_invoice, "10")

    assert exc.value.code == BillingErrorCode.INVOICE_NOT_PAYABLE
    assert Payment.objects.count() == 0


@pytest.mark.parametrize("method", ["card", "bank_transfer", "mobile_money"])
def test_non_cash_methods_need_a_reference_posted_once(final_invoice, cashier, method):
    with pytest.raises(InvalidInput) as exc:
        pay(cashier, final_invoice, "10", method)
    assert (exc.value.code, exc.value.field) == (BillingErrorCode.REFERENCE_REQUIRED, "reference")

    pay(cashier, final_invoice, "10", method, "TX-1")  # no shift needed but for cash
    with pytest.raises(Conflict) as exc:
        pay(cashier, final_invoice, "10", method, "TX-1")

    assert exc.value.code == BillingErrorCode.REFERENCE_REUSED
    assert Payment.objects.count() == 1


def test_refuses_a_hostile_reference(final_invoice, cashier):
    with pytest.raises(InvalidInput) as exc:
        pay(cashier, final_invoice, "10", "card", "<script>\n")

    assert exc.value.field == "reference"


def test_cash_needs_an_open_shift(final_invoice, cashier):
    with pytest.raises(Conflict) as exc:
        pay(cashier, final_invoice, "10")

    assert exc.value.code == BillingErrorCode.NO_OPEN_SHIFT
    assert Payment.objects.count() == 0


def test_a_billing_clerk_takes_no_money(final_invoice, clerk):
    with pytest.raises(NotPermitted):
        pay(clerk, final_invoice, "10", "card", "T1")


def test_a_deposit_settles_later_invoices_oldest_first(tariff, clerk, cashier, till, patient):
    from hms.billing.tests.payment_helpers import final_invoice_for

    first = services.take_deposit(actor=cashier, patient=patient, amount="2000", method="cash")
    second = services.take_deposit(
        actor=cashier, patient=patient, amount="1500", method="bank_transfer", reference="BT-9"
    )
    invoice = final_invoice_for(clerk, patient)

    invoice = services.apply_deposit(actor=cashier, invoice=invoice)

    assert (invoice.status, invoice.balance) == ("paid", 0)
    first.refresh_from_db()
    second.refresh_from_db()
    assert (first.unallocated, second.unallocated) == (0, Decimal("644.00"))
    assert payment_selectors.deposit_balance(patient=patient) == Decimal("644.00")
    # nothing left to pay
    with pytest.raises(Conflict):
        services.apply_deposit(actor=cashier, invoice=invoice)


def test_a_deposit_too_small_is_refused(tariff, clerk, cashier, till, patient):
    from hms.billing.tests.payment_helpers import final_invoice_for

    services.take_deposit(actor=cashier, patient=patient, amount="100", method="cash")
    invoice = final_invoice_for(clerk, patient)

    with pytest.raises(InvalidInput) as exc:
        services.apply_deposit(actor=cashier, invoice=invoice, amount="200")
    assert exc.value.code == BillingErrorCode.DEPOSIT_TOO_SMALL
    with pytest.raises(InvalidInput) as exc:
        services.apply_deposit(actor=cashier, invoice=invoice, amount="9999")
    assert exc.value.code == BillingErrorCode.AMOUNT_ABOVE_BALANCE

    assert PaymentAllocation.objects.count() == 0


def test_a_refund_never_exceeds_what_was_paid(final_invoice, cashier, supervisor, facility):
    services.open_shift(actor=supervisor, facility=facility, opening_float="0")
    pay(supervisor, final_invoice, "2856", "card", "T-7")

    with pytest.raises(InvalidInput) as exc:
        services.refund_invoice(
            actor=supervisor, invoice=final_invoice, amount="2856.01", method="cash", reason="x"
        )
    assert (exc.value.code, exc.value.field) == (BillingErrorCode.REFUND_ABOVE_PAID, "amount")
    with pytest.raises(InvalidInput) as exc:
        services.refund_invoice(
            actor=supervisor, invoice=final_invoice, amount="10", method="cash", reason=" "
        )
    assert exc.value.field == "reason"
    with pytest.raises(NotPermitted):
        services.refund_invoice(
            actor=cashier, invoice=final_invoice, amount="10", method="cash", reason="x"
        )
    assert Refund.objects.count() == 0

    refund = services.refund_invoice(
        actor=supervisor,
        invoice=final_invoice,
        amount="928",
        method="card",
        reference="T-7-R",
        reason="blood count not done",
    )

    final_invoice.refresh_from_db()
    assert refund.number.startswith("RGH-RFD-")
    assert (final_invoice.status, final_invoice.balance) == ("final", Decimal("928.00"))
    with pytest.raises(InvalidInput):
        services.refund_invoice(
            actor=supervisor,
            invoice=final_invoice,
            amount="1928.01",
            method="card",
            reference="R2",
            reason="x",
        )


def test_a_deposit_refund_never_exceeds_what_is_held(supervisor, facility, patient, tariff):
    services.open_shift(actor=supervisor, facility=facility, opening_float="0")
    services.take_deposit(actor=supervisor, patient=patient, amount="300", method="cash")

    with pytest.raises(InvalidInput) as exc:
        services.refund_deposit(
            actor=supervisor, patient=patient, amount="300.01", method="cash", reason="left"
        )
    assert exc.value.code == BillingErrorCode.REFUND_ABOVE_PAID

    services.refund_deposit(
        actor=supervisor, patient=patient, amount="200", method="cash", reason="discharged"
    )

    assert payment_selectors.deposit_balance(patient=patient) == Decimal("100.00")
