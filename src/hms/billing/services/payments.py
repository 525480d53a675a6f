"""Payments: money taken at the till (cash, card, bank transfer, mobile money) against
a final invoice, or as a deposit on the patient's account (an advance at admission)
applied to invoices later. Each payment gets a receipt number gapless per facility
and year. Several payments by several methods may settle one invoice (a split
payment); the invoice is paid when its balance reaches zero.

Locks, always in this order so that two writers never wait on each other: the
invoice row, then the cashier's shift row, then the patient's deposit payments. The
invoice's lock is what keeps two cashiers paying it at once from overpaying it: the
second reads the balance the first left.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone

from hms.audit.services import Action, record_event
from hms.billing import policies
from hms.billing.errors import BillingErrorCode
from hms.billing.models import Invoice, Payment, PaymentAllocation
from hms.billing.services._common import check_account
from hms.billing.services._till import (
    Tender,
    check_payable,
    document_number,
    positive_amount,
    settle,
    tender,
    till_shift,
)
from hms.core.errors import Conflict, DomainError, InvalidInput
from hms.core.models import Facility, author
from hms.core.text import reason_text
from hms.patients.models import Patient

ZERO = Decimal("0.00")
# One part per method is the most a till splits a payment into.
MAX_PARTS = 5


def take_payment(
    *,
    actor: Any,
    invoice: Invoice,
    amount: object,
    method: object,
    reference: object = "",
    surplus_to_deposit: bool = False,
    note: str = "",
    skip_permission_checks: bool = False,
) -> Payment:
    """Take `amount` by `method` on a final invoice and give a receipt. Requires
    TAKE_PAYMENT; cash needs the actor's open shift; card, bank transfer and mobile
    money need their `reference`, and one reference is posted once per method.

    Locks the invoice row, then the shift. Conflict INVOICE_NOT_PAYABLE for a draft,
    void or settled invoice, NO_OPEN_SHIFT, REFERENCE_REUSED; InvalidInput
    AMOUNT_ABOVE_BALANCE when `amount` exceeds the balance, unless
    `surplus_to_deposit`, which keeps the surplus as the patient's deposit.
    """
    if not skip_permission_checks:
        policies.check_take_payment(actor, invoice.facility)
    money = tender(method=method, reference=reference, amount=amount, currency=invoice.currency)
    note = reason_text(note, "note", limit=500)
    with _reference_once(money, invoice.facility), transaction.atomic():
        locked = Invoice.objects.select_for_update().get(pk=invoice.pk)
        check_payable(locked)
        applied = min(money.amount, locked.balance)
        if money.amount > applied and not surplus_to_deposit:
            raise InvalidInput(
                f"The balance is {locked.balance} {locked.currency}; take at most that, or "
                "keep the surplus as a deposit.",
                code=BillingErrorCode.AMOUNT_ABOVE_BALANCE,
                field="amount",
            )
        payment = _receive(actor, locked.facility, locked.patient, money, note)
        _allocate(payment, locked, applied)
        payment.unallocated = money.amount - applied
        payment.save(update_fields=["unallocated"])
        record_event(
            action=Action.CREATE,
            actor=actor,
            obj=payment,
            patient_id=str(locked.patient.external_id),
            reason=f"Receipt {payment.receipt_number}: {money.amount} {payment.currency} by "
            f"{money.method} on {locked.number}, balance {locked.balance}",
        )
    return payment


@dataclass(frozen=True)
class PaymentPart:
    method: object
    amount: object
    reference: object = ""


def take_split_payment(
    *, actor: Any, invoice: Invoice, parts: Sequence[PaymentPart]
) -> list[Payment]:
    """Take one payment split over several methods (cash and a card, say): every part
    with its own receipt, all or none. A refused part refuses the whole, and its error
    names the part: `parts[1].reference`. Rules and locks as in `take_payment`."""
    if not parts or len(parts) > MAX_PARTS:
        raise InvalidInput(f"Give 1 to {MAX_PARTS} parts.", field="parts")
    taken = []
    with transaction.atomic():
        for position, part in enumerate(parts):
            try:
                taken.append(
                    take_payment(
                        actor=actor,
                        invoice=invoice,
                        amount=part.amount,
                        method=part.method,
                        reference=part.reference,
                    )
                )
            except DomainError as exc:
                exc.field = f"parts[{position}].{exc.field or 'amount'}"
                raise
    return taken


def take_deposit(
    *,
    actor: Any,
    patient: Patient,
    amount: object,
    method: object,
    reference: object = "",
    note: str = "",
    skip_permission_checks: bool = False,
) -> Payment:
    """Take money on the patient's account, not yet for an invoice (an advance at
    admission); `apply_deposit` settles invoices from it later, `refund_deposit` gives
    it back. The same rules on method, reference and shift as `take_payment`."""
    facility = patient.facility
    if not skip_permission_checks:
        policies.check_take_payment(actor, facility)
    check_account(patient, facility)
    money = tender(method=method, reference=reference, amount=amount, currency=facility.currency)
    note = reason_text(note, "note", limit=500)
    with _reference_once(money, facility), transaction.atomic():
        payment = _receive(actor, facility, patient, money, note)
        record_event(
            action=Action.CREATE,
            actor=actor,
            obj=payment,
            patient_id=str(patient.external_id),
            reason=f"Deposit receipt {payment.receipt_number}: {money.amount} "
            f"{payment.currency} by {money.method}",
        )
    return payment


def apply_deposit(*, actor: Any, invoice: Invoice, amount: object = None) -> Invoice:
    """Settle a final invoice from the patient's deposit: `amount`, or as much as the
    deposit and the balance allow when none is given; the oldest deposits are used
    first. Requires TAKE_PAYMENT.

    Locks the invoice, then the patient's deposit payments. Conflict
    INVOICE_NOT_PAYABLE; InvalidInput DEPOSIT_TOO_SMALL when the deposit holds less
    (or nothing), AMOUNT_ABOVE_BALANCE when `amount` exceeds the balance.
    """
    policies.check_take_payment(actor, invoice.facility)
    wanted = None if amount is None else positive_amount(amount, invoice.currency)
    with transaction.atomic():
        locked = Invoice.objects.select_for_update().get(pk=invoice.pk)
        check_payable(locked)
        deposits = locked_deposits(locked.patient, locked.currency)
        available = sum((p.unallocated for p in deposits), ZERO)
        if wanted is not None and wanted > locked.balance:
            raise InvalidInput(
                f"The balance is {locked.balance} {locked.currency}.",
                code=BillingErrorCode.AMOUNT_ABOVE_BALANCE,
                field="amount",
            )
        applied = wanted if wanted is not None else min(available, locked.balance)
        if applied > available or applied <= 0:
            raise InvalidInput(
                f"The patient's deposit holds {available} {locked.currency}.",
                code=BillingErrorCode.DEPOSIT_TOO_SMALL,
                field="amount",
            )
        left = applied
        for payment in deposits:
            part = min(left, payment.unallocated)
            if part:
                _allocate(payment, locked, part)
                payment.unallocated -= part
                payment.save(update_fields=["unallocated", "updated_at"])
                left -= part
        record_event(
            action=Action.UPDATE,
            actor=actor,
            obj=locked,
            patient_id=str(locked.patient.external_id),
            reason=f"Deposit of {applied} {locked.currency} applied, balance {locked.balance}",
        )
    return locked


def locked_deposits(patient: Patient, currency: str) -> list[Payment]:
    """The patient's payments with money left on account, oldest first, locked."""
    return list(
        Payment.objects.select_for_update()
        .filter(patient=patient, currency=currency, unallocated__gt=0)
        .order_by("received_at", "id")
    )


def _receive(actor: Any, facility: Facility, patient: Patient, money: Tender, note: str):
    shift = till_shift(actor, facility, money.method)
    now = timezone.now()
    return Payment.objects.create(
        facility=facility,
        patient=patient,
        receipt_number=document_number("RCT", facility, now),
        method=money.method,
        reference=money.reference,
        amount=money.amount,
        unallocated=money.amount,
        currency=facility.currency,
        shift=shift,
        received_at=now,
        note=note,
        created_by=author(actor),
        updated_by=author(actor),
    )


def _allocate(payment: Payment, invoice: Invoice, amount: Decimal) -> None:
    """Put `amount` of the payment on the locked invoice and settle it."""
    PaymentAllocation.objects.create(
        payment=payment, invoice=invoice, amount=amount, allocated_at=payment.received_at
    )
    invoice.amount_paid += amount
    settle(invoice)


@contextmanager
def _reference_once(money: Tender, facility: Facility) -> Iterator[None]:
    """Refuse a reference posted already (Conflict REFERENCE_REUSED), also when a
    concurrent transaction posted it first and the unique constraint tells."""
    if _posted(money, facility):
        raise _reused(money)
    try:
        yield
    except IntegrityError as exc:
        if _posted(money, facility):
            raise _reused(money) from exc
        raise


def _posted(money: Tender, facility: Facility) -> bool:
    return (
        bool(money.reference)
        and Payment.objects.filter(
            facility=facility, method=money.method, reference=money.reference
        ).exists()
    )


def _reused(money: Tender) -> Conflict:
    return Conflict(
        f"A {money.method.replace('_', ' ')} payment with reference {money.reference} is "
        "posted already.",
        code=BillingErrorCode.REFERENCE_REUSED,
        field="reference",
    )
