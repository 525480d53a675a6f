"""Refunds: money given back on an invoice (never more than was paid on it, less what
was refunded already) or out of a patient's deposit (never more than is left), each
with a reason, a supervisor's permission and a refund number gapless per facility and
year. A cash refund leaves the drawer, so it needs the actor's open shift, and the
shift's expected cash goes down by it.

Locks in the order payments use: the invoice, then the shift, then the deposits.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.db import transaction
from django.utils import timezone

from hms.audit.services import Action, record_event
from hms.billing import policies
from hms.billing.errors import BillingErrorCode
from hms.billing.models import Invoice, Refund
from hms.billing.services._common import check_account
from hms.billing.services._till import (
    Tender,
    document_number,
    settle,
    tender,
    till_shift,
)
from hms.billing.services.payments import locked_deposits
from hms.core.errors import Conflict, InvalidInput
from hms.core.models import Facility, author
from hms.core.text import reason_text
from hms.patients.models import Patient

ZERO = Decimal("0.00")


def refund_invoice(
    *,
    actor: Any,
    invoice: Invoice,
    amount: object,
    method: object,
    reason: str,
    reference: object = "",
) -> Refund:
    """Give back `amount` paid on a final, paid or void invoice; its balance grows by
    it (a paid invoice is final again). Requires TAKE_PAYMENT and APPROVE_DISCOUNT.

    Locks the invoice, then the shift. InvalidInput REFUND_ABOVE_PAID above what was
    paid and not yet refunded, `reason` when none is given; Conflict
    INVOICE_NOT_PAYABLE for a draft, NO_OPEN_SHIFT for cash without a shift.
    """
    policies.check_refund(actor, invoice.facility)
    money = tender(method=method, reference=reference, amount=amount, currency=invoice.currency)
    reason = reason_text(reason, "reason", required=True, limit=500)
    with transaction.atomic():
        locked = Invoice.objects.select_for_update().get(pk=invoice.pk)
        if locked.status == Invoice.Status.DRAFT:
            raise Conflict(
                "Nothing is paid on a draft invoice.",
                code=BillingErrorCode.INVOICE_NOT_PAYABLE,
                field="invoice",
            )
        refundable = locked.amount_paid - locked.amount_refunded
        _check_at_most(money.amount, refundable, f"paid on {locked.number}", locked.currency)
        refund = _give_back(actor, locked.facility, locked.patient, money, reason, locked)
        locked.amount_refunded += money.amount
        settle(locked)
        _audit(actor, refund, f"on {locked.number}, balance {locked.balance}")
    return refund


def refund_deposit(
    *,
    actor: Any,
    patient: Patient,
    amount: object,
    method: object,
    reason: str,
    reference: object = "",
) -> Refund:
    """Give back `amount` of the patient's deposit, taken from the newest deposits
    first. Requires TAKE_PAYMENT and APPROVE_DISCOUNT.

    Locks the shift, then the patient's deposit payments. InvalidInput
    REFUND_ABOVE_PAID above what the deposit holds.
    """
    facility = patient.facility
    policies.check_refund(actor, facility)
    check_account(patient, facility)
    money = tender(method=method, reference=reference, amount=amount, currency=facility.currency)
    reason = reason_text(reason, "reason", required=True, limit=500)
    with transaction.atomic():
        shift = till_shift(actor, facility, money.method)
        deposits = locked_deposits(patient, facility.currency)
        held = sum((p.unallocated for p in deposits), ZERO)
        _check_at_most(money.amount, held, "held on deposit", facility.currency)
        left = money.amount
        for payment in reversed(deposits):
            part = min(left, payment.unallocated)
            payment.unallocated -= part
            payment.save(update_fields=["unallocated", "updated_at"])
            left -= part
            if not left:
                break
        refund = _give_back(actor, facility, patient, money, reason, None, shift=shift)
        _audit(actor, refund, f"from the deposit, {held - money.amount} left")
    return refund


def _check_at_most(amount: Decimal, most: Decimal, what: str, currency: str) -> None:
    if amount > most:
        raise InvalidInput(
            f"At most {most} {currency} can be refunded: that is what was {what}.",
            code=BillingErrorCode.REFUND_ABOVE_PAID,
            field="amount",
        )


def _give_back(actor, facility: Facility, patient, money: Tender, reason, invoice, **known):
    shift = known["shift"] if "shift" in known else till_shift(actor, facility, money.method)
    now = timezone.now()
    return Refund.objects.create(
        facility=facility,
        patient=patient,
        invoice=invoice,
        number=document_number("RFD", facility, now),
        method=money.method,
        reference=money.reference,
        amount=money.amount,
        currency=facility.currency,
        reason=reason,
        shift=shift,
        refunded_at=now,
        created_by=author(actor),
        updated_by=author(actor),
    )


def _audit(actor: Any, refund: Refund, where: str) -> None:
    record_event(
        action=Action.CREATE,
        actor=actor,
        obj=refund,
        patient_id=str(refund.patient.external_id),
        reason=f"Refund {refund.number}: {refund.amount} {refund.currency} by {refund.method} "
        f"{where}: {refund.reason}",
    )
