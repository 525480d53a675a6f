"""Corrections to invoices: a credit note takes part of a final invoice off what is
owed; a void cancels a final invoice nothing was paid on and frees its charges to be
billed again; a draft nobody wants is discarded. A final invoice itself never changes.

Both corrections of a final invoice need a supervisor (policies.check_correct_invoice)
and leave the invoice's number in place, so the sequence stays gapless.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.db import transaction
from django.utils import timezone

from hms.audit.services import Action, record_event
from hms.billing import policies
from hms.billing.errors import BillingErrorCode
from hms.billing.models import Charge, Claim, CreditNote, CreditNoteLine, Invoice, InvoiceLine
from hms.billing.services._common import amount_in
from hms.billing.services._till import document_number
from hms.billing.totals import spread_discount
from hms.core.errors import Conflict, InvalidInput
from hms.core.models import author
from hms.core.money import round_money
from hms.core.text import reason_text

ZERO = Decimal("0.00")
# A claim the payer has or may still answer: the invoice is corrected through it.
_LIVE_CLAIM = (Claim.Status.SUBMITTED, Claim.Status.ACCEPTED, Claim.Status.PAID)


def issue_credit_note(*, actor: Any, invoice: Invoice, amount: object, reason: str) -> CreditNote:
    """Take `amount` off a final invoice's balance with a credit note numbered
    "RGH-CN-2026-000001", spread over its lines in proportion to what is left of each.

    Locks the invoice. InvalidInput (CREDIT_ABOVE_BALANCE) above the balance: money
    already paid is refunded first. Conflict (INVOICE_NOT_CREDITABLE) for a draft or
    void invoice, (CLAIM_IN_PROGRESS) while the payer holds a claim for it. An invoice
    credited down to nothing owed is settled.
    """
    policies.check_correct_invoice(actor, invoice.facility)
    reason = reason_text(reason, "reason", required=True, limit=500)
    wanted = amount_in(amount, field="amount")
    if wanted == 0:
        raise InvalidInput("Credit more than nothing.", field="amount")
    with transaction.atomic():
        locked = Invoice.objects.select_for_update().get(pk=invoice.pk)
        if locked.status not in (Invoice.Status.FINAL, Invoice.Status.PAID):
            raise Conflict(
                f"Invoice {locked} is {locked.get_status_display().lower()}: only a final "
                "invoice is corrected by a credit note.",
                code=BillingErrorCode.INVOICE_NOT_CREDITABLE,
                field="invoice",
            )
        _check_no_live_claim(locked)
        if wanted != round_money(wanted, locked.currency) or wanted > locked.balance:
            raise InvalidInput(
                f"At most the balance, {locked.balance} {locked.currency}, can be credited; "
                "refund what was paid first to credit more.",
                code=BillingErrorCode.CREDIT_ABOVE_BALANCE,
                field="amount",
            )
        now = timezone.now()
        user = author(actor)
        note = CreditNote.objects.create(
            facility_id=locked.facility_id,
            invoice=locked,
            number=document_number("CN", locked.facility, now),
            amount=wanted,
            currency=locked.currency,
            reason=reason,
            issued_at=now,
            created_by=user,
            updated_by=user,
        )
        _credit_lines(note, locked)
        locked.amount_credited += wanted
        if locked.balance == 0:
            locked.status = Invoice.Status.PAID
        locked.updated_by = user
        locked.save(update_fields=["amount_credited", "status", "updated_by", "updated_at"])
        record_event(
            action=Action.CREATE,
            actor=actor,
            obj=note,
            patient_id=str(locked.patient.external_id),
            reason=f"{wanted} {locked.currency} off {locked.number}: {reason}",
        )
    return note


def _credit_lines(note: CreditNote, invoice: Invoice) -> None:
    lines = list(invoice.lines.order_by("position"))
    credited: dict[int, Decimal] = {}
    for line_id, part in CreditNoteLine.objects.filter(invoice_line__invoice=invoice).values_list(
        "invoice_line", "amount"
    ):
        credited[line_id] = credited.get(line_id, ZERO) + part
    left = [line.line_total - credited.get(line.pk, ZERO) for line in lines]
    parts = spread_discount(left, note.amount, note.currency)
    CreditNoteLine.objects.bulk_create(
        CreditNoteLine(credit_note=note, invoice_line=line, amount=part)
        for line, part in zip(lines, parts, strict=True)
        if part > 0
    )


def void_invoice(*, actor: Any, invoice: Invoice, reason: str) -> Invoice:
    """Cancel a final invoice nothing is paid on (what was paid is refunded first):
    it keeps its number, marked void with the reason, and its charges are billable
    again, to be invoiced anew. A draft claim for it is withdrawn with it.

    Locks the invoice, then its charges. Conflict (INVOICE_NOT_VOIDABLE) for a draft
    (discard it instead), a void one, or one with money on it; (CLAIM_IN_PROGRESS)
    while the payer holds a claim for it.
    """
    policies.check_correct_invoice(actor, invoice.facility)
    reason = reason_text(reason, "reason", required=True, limit=500)
    with transaction.atomic():
        locked = Invoice.objects.select_for_update().get(pk=invoice.pk)
        if locked.status not in (Invoice.Status.FINAL, Invoice.Status.PAID):
            raise Conflict(
                f"Invoice {locked} is {locked.get_status_display().lower()}: only a final "
                "invoice is voided (discard a draft).",
                code=BillingErrorCode.INVOICE_NOT_VOIDABLE,
                field="invoice",
            )
        if locked.amount_paid != locked.amount_refunded:
            raise Conflict(
                f"{locked.amount_paid - locked.amount_refunded} {locked.currency} is paid on "
                f"{locked.number}: refund it before voiding the invoice.",
                code=BillingErrorCode.INVOICE_NOT_VOIDABLE,
                field="invoice",
            )
        _check_no_live_claim(locked)
        Claim.objects.filter(invoice=locked, status=Claim.Status.DRAFT).delete()
        now = timezone.now()
        list(Charge.objects.select_for_update().filter(invoice=locked).values_list("pk"))
        Charge.objects.filter(invoice=locked).update(
            invoice=None, status=Charge.Status.BILLABLE, updated_at=now
        )
        locked.status, locked.void_reason, locked.voided_at = Invoice.Status.VOID, reason, now
        locked.updated_by = author(actor)
        locked.save(
            update_fields=["status", "void_reason", "voided_at", "updated_by", "updated_at"]
        )
        record_event(
            action=Action.UPDATE,
            actor=actor,
            obj=locked,
            patient_id=str(locked.patient.external_id),
            reason=f"Voided {locked.number}: {reason}",
        )
    return locked


def discard_draft(*, actor: Any, invoice: Invoice) -> None:
    """Throw away a draft invoice: its charges are unbilled again. Requires
    MANAGE_INVOICES. Conflict (INVOICE_NOT_DRAFT) once it is final."""
    policies.check_manage_invoices(actor, invoice.facility)
    with transaction.atomic():
        locked = Invoice.objects.select_for_update().get(pk=invoice.pk)
        if not locked.is_editable:
            raise Conflict(
                f"Invoice {locked.number} is final; void it or issue a credit note.",
                code=BillingErrorCode.INVOICE_NOT_DRAFT,
                field="invoice",
            )
        now = timezone.now()
        # A package's charge belongs to the draft it was put on and goes with it.
        Charge.objects.filter(
            invoice=locked, source__startswith=f"invoice:{locked.external_id}:package:"
        ).update(status=Charge.Status.VOID, void_reason="Draft discarded", voided_at=now)
        Charge.objects.filter(invoice=locked).update(invoice=None, updated_at=now)
        InvoiceLine.objects.filter(invoice=locked, absorbed_by__isnull=False).delete()
        InvoiceLine.objects.filter(invoice=locked).delete()
        record_event(
            action=Action.DELETE,
            actor=actor,
            obj=locked,
            patient_id=str(locked.patient.external_id),
            reason="Draft discarded",
        )
        locked.delete()


def _check_no_live_claim(invoice: Invoice) -> None:
    claim = Claim.objects.filter(invoice=invoice, status__in=_LIVE_CLAIM).first()
    if claim is not None:
        raise Conflict(
            f"Claim {claim.control_number} for this invoice is {claim.get_status_display()} "
            "with the payer; correct it through the claim.",
            code=BillingErrorCode.CLAIM_IN_PROGRESS,
            field="invoice",
        )
