"""Reads of payments, refunds, deposits and shifts, scoped to the viewer's facility."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db.models import QuerySet, Sum

from hms.billing import policies
from hms.billing.models import (
    Claim,
    CreditNote,
    Invoice,
    Payment,
    PaymentAllocation,
    Refund,
    Shift,
)
from hms.core.errors import NotFound
from hms.core.models import Facility
from hms.patients.models import Patient

ZERO = Decimal("0.00")


def payments_of(
    *,
    viewer: Any,
    facility: Facility,
    invoice: Invoice | None = None,
    patient: Patient | None = None,
) -> QuerySet[Payment]:
    """Payments at the facility, those allocated to `invoice` or of `patient`."""
    policies.check_view_billing(viewer, facility)
    found = Payment.objects.filter(facility=facility)
    if invoice is not None:
        found = found.filter(allocations__invoice=invoice).distinct()
    if patient is not None:
        found = found.filter(patient=patient)
    return found.select_related("patient", "shift").prefetch_related("allocations__invoice")


def payment_of(*, viewer: Any, facility: Facility, external_id: Any) -> Payment:
    found = payments_of(viewer=viewer, facility=facility).filter(external_id=external_id).first()
    if found is None:
        raise NotFound("No such payment.")
    return found


def refunds_of(
    *,
    viewer: Any,
    facility: Facility,
    invoice: Invoice | None = None,
    patient: Patient | None = None,
) -> QuerySet[Refund]:
    policies.check_view_billing(viewer, facility)
    found = Refund.objects.filter(facility=facility).select_related("patient", "invoice")
    if invoice is not None:
        found = found.filter(invoice=invoice)
    if patient is not None:
        found = found.filter(patient=patient)
    return found


def deposit_balance(*, patient: Patient) -> Decimal:
    """What the patient holds on account: payments not yet allocated nor refunded."""
    held = Payment.objects.filter(patient=patient).aggregate(sum=Sum("unallocated"))["sum"]
    # SQLite sums decimals as floats-made-Decimal ("2144"): give it back in cents.
    return ZERO if held is None else Decimal(held).quantize(ZERO)


def current_shift(*, viewer: Any, facility: Facility) -> Shift | None:
    """The viewer's open shift at the facility, if any."""
    policies.check_take_payment(viewer, facility)
    return Shift.objects.filter(facility=facility, cashier=viewer, status=Shift.Status.OPEN).first()


def shift_of(*, viewer: Any, facility: Facility, external_id: Any) -> Shift:
    policies.check_view_billing(viewer, facility)
    found = (
        Shift.objects.filter(facility=facility, external_id=external_id)
        .select_related("cashier", "handed_over_to")
        .first()
    )
    if found is None:
        raise NotFound("No such shift.")
    return found


def shift_takings(*, shift: Shift) -> list[dict[str, Any]]:
    """Per method: received, refunded and net in the shift (the opening float apart)."""
    received = dict(
        Payment.objects.filter(shift=shift).values_list("method").annotate(Sum("amount"))
    )
    refunded = dict(
        Refund.objects.filter(shift=shift).values_list("method").annotate(Sum("amount"))
    )

    def cents(amounts: dict, method: str) -> Decimal:
        return Decimal(amounts.get(method, ZERO)).quantize(ZERO)

    return [
        {
            "method": method,
            "received": cents(received, method),
            "refunded": cents(refunded, method),
            "net": cents(received, method) - cents(refunded, method),
        }
        for method in sorted(set(received) | set(refunded))
    ]


def shifts_at(*, viewer: Any, facility: Facility) -> QuerySet[Shift]:
    """The facility's shifts, newest first."""
    policies.check_view_billing(viewer, facility)
    return (
        Shift.objects.filter(facility=facility)
        .select_related("cashier", "handed_over_to")
        .prefetch_related("counts")
    )


@dataclass(frozen=True)
class Balances:
    """What an invoice still owes, the patient's part apart from the payer's (None when
    no payer shares the invoice)."""

    patient: Decimal
    payer: Decimal | None


def patient_due(invoice: Invoice) -> Decimal:
    """What the patient still owes on a final invoice: with a payer, the patient's
    portion less what was paid (and not refunded) or credited; without one, the balance."""
    if invoice.status != Invoice.Status.FINAL:
        return ZERO
    return _patient_owes(
        invoice, invoice.amount_paid, invoice.amount_credited, invoice.amount_refunded
    )


def payer_due(invoice: Invoice) -> Decimal | None:
    """What the payer still owes: its portion less what its remittances paid or wrote
    off. None when no payer shares the invoice."""
    if invoice.payer_amount is None:
        return None
    claim = Claim.objects.filter(invoice=invoice).only("paid_amount", "adjusted_amount").first()
    settled = (claim.paid_amount + claim.adjusted_amount) if claim else ZERO
    return max(ZERO, invoice.payer_amount - settled)


def balances_after(allocation: PaymentAllocation) -> Balances:
    """What the invoice still owed once this allocation was made, the patient's part
    and the payer's: a receipt reprinted later shows the patient's balance it left, not
    today's, and never counts the payer's share as the patient's debt."""
    invoice, at = allocation.invoice, allocation.allocated_at
    paid = PaymentAllocation.objects.filter(invoice=invoice, id__lte=allocation.id).aggregate(
        s=Sum("amount")
    )["s"]
    credited = CreditNote.objects.filter(invoice=invoice, issued_at__lte=at).aggregate(
        s=Sum("amount")
    )["s"]
    refunded = Refund.objects.filter(invoice=invoice, refunded_at__lte=at).aggregate(
        s=Sum("amount")
    )["s"]
    patient = _patient_owes(invoice, paid or ZERO, credited or ZERO, refunded or ZERO)
    return Balances(patient=patient, payer=payer_due(invoice))


def _patient_owes(invoice: Invoice, paid: Decimal, credited: Decimal, refunded: Decimal):
    left = invoice.total - paid - credited + refunded
    if invoice.patient_amount is None:
        return left
    return max(ZERO, min(left, invoice.patient_amount - paid + refunded - credited))
