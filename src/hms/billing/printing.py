"""Invoices and receipts as PDFs (ReportLab, no system libraries), under the
facility's header: its name, address and phone; then the lines, the totals, the
payments and the balance. Printing a patient's bill is audited like any other read of
their record."""

from __future__ import annotations

import io
import zoneinfo
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4, A6
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle
from reportlab.platypus.flowables import Flowable

from hms.audit.services import Action, record_event
from hms.billing import payment_selectors, policies
from hms.billing.models import Invoice, Payment
from hms.core.models import Facility
from hms.core.money import format_money
from hms.patients.printing import fonts, visual


def print_invoice(*, actor: Any, invoice: Invoice) -> bytes:
    """The invoice as a PDF. Requires VIEW_BILLING; writes a PRINT audit event."""
    policies.check_view_billing(actor, invoice.facility)
    with transaction.atomic():
        record_event(
            action=Action.PRINT,
            actor=actor,
            obj=invoice,
            patient_id=str(invoice.patient.external_id),
            reason=f"Invoice {invoice} printed",
        )
    return invoice_pdf(invoice)


def print_receipt(*, actor: Any, payment: Payment) -> bytes:
    """The payment's receipt as a PDF. Requires VIEW_BILLING; writes a PRINT event."""
    policies.check_view_billing(actor, payment.facility)
    with transaction.atomic():
        record_event(
            action=Action.PRINT,
            actor=actor,
            obj=payment,
            patient_id=str(payment.patient.external_id),
            reason=f"Receipt {payment.receipt_number} printed",
        )
    return receipt_pdf(payment)


def invoice_pdf(invoice: Invoice) -> bytes:
    money = _money_of(invoice.currency)
    title = "Invoice" if invoice.number else "Draft invoice"
    story = [*_header(invoice.facility), _para(f"{title} {invoice.number or ''}", "title")]
    story.append(_para(_patient_line(invoice.patient)))
    if invoice.finalised_at:
        story.append(_para(f"Date: {_local(invoice.finalised_at, invoice.facility)}"))
    lines = [["#", "Description", "Qty", "Unit price", "Discount", "Tax", "Amount"]]
    for line in invoice.lines.order_by("position"):
        lines.append(
            [
                str(line.position),
                _para(line.description, "cell"),
                f"{line.quantity.normalize():f}",
                money(line.unit_price),
                money(line.discount),
                money(line.tax),
                money(line.line_total),
            ]
        )
    story += [Spacer(1, 4 * mm), _table(lines, [8, 62, 14, 24, 22, 20, 26], header=True)]
    totals = [
        ["Subtotal", money(invoice.subtotal)],
        ["Discount", money(invoice.discount_total)],
        ["Tax", money(invoice.tax_total)],
        ["Total", money(invoice.total)],
    ]
    for allocation in invoice.allocations.select_related("payment").order_by("allocated_at"):
        payment = allocation.payment
        totals.append(
            [f"Paid {payment.receipt_number} ({payment.method})", money(allocation.amount)]
        )
    for refund in invoice.refunds.order_by("refunded_at"):
        totals.append([f"Refunded {refund.number}", money(refund.amount)])
    totals.append(["Balance due", money(invoice.balance)])
    story += [Spacer(1, 3 * mm), _table(totals, [120, 56], bold_last=True)]
    return _build(story, A4, f"Invoice {invoice.number or invoice.external_id}")


def receipt_pdf(payment: Payment) -> bytes:
    money = _money_of(payment.currency)
    story = [*_header(payment.facility), _para(f"Receipt {payment.receipt_number}", "title")]
    story.append(_para(_patient_line(payment.patient)))
    story.append(_para(f"Date: {_local(payment.received_at, payment.facility)}"))
    method = payment.get_method_display()
    rows = [["Received", money(payment.amount)], ["Method", method]]
    if payment.reference:
        rows.append(["Reference", payment.reference])
    for allocation in payment.allocations.select_related("invoice").order_by("id"):
        invoice = allocation.invoice
        rows.append([f"On invoice {invoice.number}", money(allocation.amount)])
        rows.append([f"Invoice {invoice.number} total", money(invoice.total)])
        left = payment_selectors.balances_after(allocation)
        rows.append([_("Patient's balance left"), money(left.patient)])
        if left.payer is not None:
            rows.append([_("Payer's balance"), money(left.payer)])
    if payment.unallocated:
        rows.append(["Held on deposit", money(payment.unallocated)])
    story += [Spacer(1, 3 * mm), _table(rows, [50, 38])]
    return _build(story, A6, f"Receipt {payment.receipt_number}")


def _header(facility: Facility) -> list[Flowable]:
    parts = [_para(facility.name, "heading")]
    contact = " · ".join(p for p in (facility.address, facility.phone) if p)
    if contact:
        parts.append(_para(contact))
    return [*parts, Spacer(1, 3 * mm)]


def _patient_line(patient) -> str:
    return f"Patient: {patient.full_name} (MRN {patient.mrn})"


def _local(at, facility: Facility) -> str:
    return timezone.localtime(at, zoneinfo.ZoneInfo(facility.timezone)).strftime("%Y-%m-%d %H:%M")


def _money_of(currency: str):
    def money(amount: Decimal) -> str:
        return f"{format_money(amount, currency)} {currency}"

    return money


_SIZES = {"heading": 13, "title": 11, "body": 9, "cell": 8}


def _para(text: str, kind: str = "body") -> Paragraph:
    font = fonts().bold if kind in ("heading", "title") else fonts().regular
    size = _SIZES[kind]
    style = ParagraphStyle(kind, fontName=font, fontSize=size, leading=size * 1.25)
    escaped = visual(text).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return Paragraph(escaped, style)


def _table(rows, widths_mm, *, header: bool = False, bold_last: bool = False) -> Table:
    table = Table(rows, colWidths=[w * mm for w in widths_mm], hAlign="LEFT")
    style = [
        ("FONT", (0, 0), (-1, -1), fonts().regular, 8),
        ("ALIGN", (-1, 0), (-1, -1), "RIGHT"),
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ("LINEBELOW", (0, -1), (-1, -1), 0.5, colors.grey),
    ]
    if header:
        style += [
            ("FONT", (0, 0), (-1, 0), fonts().bold, 8),
            ("LINEBELOW", (0, 0), (-1, 0), 0.5, colors.black),
            ("ALIGN", (2, 0), (-1, -1), "RIGHT"),
        ]
    if bold_last:
        style.append(("FONT", (0, -1), (-1, -1), fonts().bold, 9))
    table.setStyle(TableStyle(style))
    return table


def _build(story: list[Flowable], pagesize, title: str) -> bytes:
    buffer = io.BytesIO()
    margin = 8 * mm if pagesize == A6 else 15 * mm
    document = SimpleDocTemplate(
        buffer,
        pagesize=pagesize,
        leftMargin=margin,
        rightMargin=margin,
        topMargin=margin,
        bottomMargin=margin,
        title=title,
    )
    document.build(story)
    return buffer.getvalue()
