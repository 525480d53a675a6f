"""Invoices: drafted from a patient's unbilled charges, discounted, then finalised with
the facility's next number for the year. A final invoice does not change: every edit
is refused with 409 (a credit note corrects it).

Amounts follow hms.billing.totals: each line is rounded on its own and the invoice's
totals are sums of its rounded lines, so it always balances (the database checks it).
"""

from __future__ import annotations

import zoneinfo
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from hms.audit.services import Action, record_event
from hms.billing import policies
from hms.billing.errors import BillingErrorCode
from hms.billing.models import Charge, Invoice, InvoiceLine
from hms.billing.services._common import amount_in
from hms.billing.services.insurance import split_invoice
from hms.billing.totals import (
    line_amounts,
    percent_discounts,
    spread_discount,
    totals_of,
)
from hms.core.errors import Conflict, InvalidInput, NotPermitted
from hms.core.models import author
from hms.core.money import round_money
from hms.core.sequences import next_number
from hms.core.text import reason_text
from hms.encounters.models import Encounter
from hms.patients.models import Patient


def draft_invoice(*, actor: Any, patient: Patient, encounter: Encounter | None = None) -> Invoice:
    """Draft an invoice of the patient's unbilled charges (those of `encounter` only,
    when given), one line per charge in the order rendered. Requires MANAGE_INVOICES.

    Locks the charges it takes, so two clerks drafting at once never bill one charge
    twice: the second drafts what is left. Conflict (NOTHING_TO_BILL) when nothing is.
    """
    policies.check_manage_invoices(actor, patient.facility)
    if encounter is not None and encounter.patient_id != patient.pk:
        raise InvalidInput("That visit is another patient's.", field="encounter")
    user = author(actor)
    with transaction.atomic():
        unbilled = Charge.objects.filter(
            patient=patient, status=Charge.Status.BILLABLE, invoice__isnull=True
        )
        if encounter is not None:
            unbilled = unbilled.filter(encounter=encounter)
        charges = list(unbilled.select_for_update().order_by("service_date", "id"))
        if not charges:
            raise Conflict(
                "There are no unbilled charges to invoice.",
                code=BillingErrorCode.NOTHING_TO_BILL,
                field="patient",
            )
        invoice = Invoice.objects.create(
            facility_id=patient.facility_id,
            patient=patient,
            encounter=encounter,
            currency=charges[0].currency,
            created_by=user,
            updated_by=user,
        )
        lines = [_line(invoice, charge, position) for position, charge in enumerate(charges, 1)]
        InvoiceLine.objects.bulk_create(lines)
        Charge.objects.filter(pk__in=[c.pk for c in charges]).update(invoice=invoice)
        save_totals(invoice, lines, user)
        record_event(
            action=Action.CREATE,
            actor=actor,
            obj=invoice,
            patient_id=str(patient.external_id),
            reason=f"Draft of {len(lines)} charges, total {invoice.total} {invoice.currency}",
        )
    return invoice


def _line(invoice: Invoice, charge: Charge, position: int) -> InvoiceLine:
    line = InvoiceLine(invoice=invoice, charge=charge, position=position)
    recompute_line(line, charge, charge.currency)
    return line


def recompute_line(line: InvoiceLine, charge: Charge | None, currency: str) -> None:
    """Fill a line from its charge (when given, undiscounted), then its tax and total
    from its gross, discount and tax rate."""
    if charge is not None:
        line.description, line.quantity = charge.description, charge.quantity
        line.unit_price, line.gross = charge.unit_price, charge.amount
        line.tax_rate, line.discount = charge.tax_rate, Decimal(0)
    amounts = line_amounts_of(line, currency)
    line.tax, line.line_total = amounts.tax, amounts.line_total


def save_totals(invoice: Invoice, lines: list[InvoiceLine], user) -> None:
    totals = totals_of([line_amounts_of(line, invoice.currency) for line in lines])
    invoice.subtotal, invoice.discount_total = totals.subtotal, totals.discount_total
    invoice.tax_total, invoice.total = totals.tax_total, totals.total
    invoice.updated_by = user
    invoice.save(
        update_fields=[
            "subtotal",
            "discount_total",
            "tax_total",
            "total",
            "updated_by",
            "updated_at",
            "discount_reason",
        ]
    )


def line_amounts_of(line: InvoiceLine, currency: str):
    return line_amounts(
        gross=line.gross, discount=line.discount, tax_rate=line.tax_rate, currency=currency
    )


_LOCK_SQL = (
    f"SELECT *, EXISTS (SELECT 1 FROM {InvoiceLine._meta.db_table} l"  # noqa: S608 - table names
    f" WHERE l.invoice_id = i.id) AS has_lines FROM {Invoice._meta.db_table} i WHERE i.id = %s"
)


def locked_draft(invoice: Invoice) -> Invoice:
    """The draft `invoice` re-read under its row lock, with `has_lines` set. A plain
    statement: every finalisation takes it, and the ORM's compiling cost more than
    the lock. The caller's facility and patient rows are kept (they are not locked)."""
    lock = " FOR UPDATE OF i" if connection.features.has_select_for_update_of else ""
    (locked,) = Invoice.objects.raw(_LOCK_SQL + lock, [invoice.pk])
    for name in ("facility", "patient"):
        field = Invoice._meta.get_field(name)
        if field.is_cached(invoice) and getattr(invoice, field.attname) == getattr(
            locked, field.attname
        ):
            field.set_cached_value(locked, field.get_cached_value(invoice))
    if not locked.is_editable:
        raise Conflict(
            f"Invoice {locked.number} is {locked.get_status_display().lower()} and cannot "
            "change; correct it with a credit note.",
            code=BillingErrorCode.INVOICE_NOT_DRAFT,
            field="invoice",
        )
    return locked


def apply_discount(
    *,
    actor: Any,
    invoice: Invoice,
    reason: str,
    percent: Decimal | None = None,
    amount: Decimal | None = None,
) -> Invoice:
    """Discount a draft invoice by `percent` of each line or by `amount` spread over the
    lines in proportion (exactly one of them), replacing any discount before; tax is
    recomputed on what remains. Requires MANAGE_INVOICES, and APPROVE_DISCOUNT when the
    discount is above settings.HMS_DISCOUNT_APPROVAL_PERCENT of the subtotal.

    Locks the invoice. Conflict (INVOICE_NOT_DRAFT) once it is final; InvalidInput
    (INVALID_DISCOUNT) for both or neither, a negative percentage or one above 100, or
    an amount above the subtotal.
    """
    policies.check_manage_invoices(actor, invoice.facility)
    reason = reason_text(reason, "reason", required=True, limit=500)
    if (percent is None) == (amount is None):
        raise InvalidInput(
            "Give a percentage or an amount, not both.",
            code=BillingErrorCode.INVALID_DISCOUNT,
            field="percent",
        )
    with transaction.atomic():
        locked = locked_draft(invoice)
        # A package's absorbed lines stay at 0; the package line itself is discounted.
        lines = list(locked.lines.filter(absorbed_by__isnull=True).order_by("position"))
        grosses = [line.gross for line in lines]
        field, discounts = _discounts(locked, grosses, percent, amount)
        _check_approval(actor, locked, grosses, discounts, field)
        before = locked.discount_total
        for line, discount in zip(lines, discounts, strict=True):
            amounts = line_amounts(
                gross=line.gross,
                discount=discount,
                tax_rate=line.tax_rate,
                currency=locked.currency,
            )
            line.discount, line.tax, line.line_total = discount, amounts.tax, amounts.line_total
        InvoiceLine.objects.bulk_update(lines, ["discount", "tax", "line_total"])
        locked.discount_reason = reason
        save_totals(locked, list(locked.lines.all()), author(actor))
        record_event(
            action=Action.UPDATE,
            actor=actor,
            obj=locked,
            patient_id=str(locked.patient.external_id),
            reason=f"Discount {before} -> {locked.discount_total}: {reason}",
        )
    return locked


def _discounts(invoice, grosses, percent, amount) -> tuple[str, list[Decimal]]:
    if percent is not None:
        percent = _valid(percent, "percent", Decimal(100))
        return "percent", percent_discounts(grosses, percent, invoice.currency)
    subtotal = sum(grosses, Decimal(0))
    amount = _valid(amount, "amount", subtotal)
    if amount != round_money(amount, invoice.currency):
        raise InvalidInput(
            f"Give the amount in whole {invoice.currency} minor units.",
            code=BillingErrorCode.INVALID_DISCOUNT,
            field="amount",
        )
    return "amount", spread_discount(grosses, amount, invoice.currency)


def _valid(value, field: str, maximum: Decimal) -> Decimal:
    try:
        return amount_in(value, field=field, maximum=maximum)
    except InvalidInput as exc:
        raise InvalidInput(
            f"The discount must be between 0 and {maximum}, in at most 2 decimals.",
            code=BillingErrorCode.INVALID_DISCOUNT,
            field=field,
        ) from exc


def _check_approval(actor, invoice, grosses, discounts, field: str) -> None:
    subtotal = sum(grosses, Decimal(0))
    if not subtotal:
        return
    share = sum(discounts, Decimal(0)) * 100 / subtotal
    threshold = Decimal(str(settings.HMS_DISCOUNT_APPROVAL_PERCENT))
    if share > threshold and not policies.can_approve_discount(actor, invoice.facility):
        raise NotPermitted(
            f"A discount above {threshold}% needs a supervisor's approval.",
            code=BillingErrorCode.DISCOUNT_NEEDS_APPROVAL,
            field=field,
        )


def finalise_invoice(*, actor: Any, invoice: Invoice) -> Invoice:
    """Make a draft invoice final: give it the facility's next number for the year
    ("RGH-2026-000042", the year in the facility's time zone) and mark its charges
    billed. Requires MANAGE_INVOICES.

    Locks the invoice, then the number sequence's row until commit: numbers are gapless
    and never shared, as one consumed by a transaction that fails is not consumed.
    Conflict (INVOICE_NOT_DRAFT) for an invoice final already, (NOTHING_TO_BILL) for one
    left without lines. With a coverage in force that day, the invoice also takes the
    payer's and the patient's portions (hms.billing.services.insurance.split_invoice).
    """
    policies.check_manage_invoices(actor, invoice.facility)
    with transaction.atomic():
        locked = locked_draft(invoice)
        if not locked.has_lines:
            raise Conflict(
                "The invoice has no lines left.",
                code=BillingErrorCode.NOTHING_TO_BILL,
                field="invoice",
            )
        facility = locked.facility
        now = timezone.now()
        year = timezone.localtime(now, zoneinfo.ZoneInfo(facility.timezone)).year
        serial = next_number(f"invoice:{facility.code}:{year}")
        locked.number = f"{facility.code}-{year}-{serial:06d}"
        locked.status, locked.finalised_at = Invoice.Status.FINAL, now
        locked.updated_by = author(actor)
        split_invoice(locked, now)
        locked.save(
            update_fields=[
                "number",
                "status",
                "finalised_at",
                "updated_by",
                "updated_at",
                "coverage",
                "payer_amount",
                "patient_amount",
                "deductible_applied",
            ]
        )
        Charge.objects.filter(invoice=locked).update(status=Charge.Status.BILLED, updated_at=now)
        record_event(
            action=Action.UPDATE,
            actor=actor,
            obj=locked,
            patient_id=str(locked.patient.external_id),
            reason=f"Finalised as {locked.number}, total {locked.total} {locked.currency}",
        )
    return locked


def remove_charge(invoice: Invoice, charge: Charge) -> None:
    """Take a voided charge off a draft invoice (locked by the caller) and recompute
    its totals; the remaining lines keep their positions. A package's charge frees
    the lines it absorbed, charged in full again."""
    freed = list(
        InvoiceLine.objects.filter(absorbed_by__invoice=invoice, absorbed_by__charge=charge)
    )
    for line in freed:
        line.absorbed_by, line.discount = None, Decimal(0)
        recompute_line(line, None, invoice.currency)
    InvoiceLine.objects.bulk_update(freed, ["absorbed_by", "discount", "tax", "line_total"])
    InvoiceLine.objects.filter(invoice=invoice, charge=charge).delete()
    save_totals(invoice, list(invoice.lines.all()), invoice.updated_by)
