"""Revenue billed in a period, per department and per doctor each charge was rendered
by (captured with the charge from its source), less the credit notes issued in the
period."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db.models import Count, QuerySet, Sum

from hms.billing import policies
from hms.billing.models import CreditNoteLine, Invoice, InvoiceLine
from hms.billing.reports.tables import (
    COUNT,
    MONEY,
    ZERO,
    Column,
    Report,
    Table,
    cents,
    day_bounds,
    totals_of,
)
from hms.core.models import Facility

NO_DEPARTMENT = "No department"
NO_DOCTOR = "No doctor"
_AMOUNTS = [
    Column("lines", "Lines", COUNT),
    Column("gross", "Gross", MONEY),
    Column("discount", "Discount", MONEY),
    Column("tax", "Tax", MONEY),
    Column("billed", "Billed", MONEY),
    Column("credited", "Credited", MONEY),
    Column("net", "Net", MONEY),
]
DEPARTMENT_COLUMNS = [Column("department", "Department"), *_AMOUNTS]
DOCTOR_COLUMNS = [Column("doctor", "Doctor"), *_AMOUNTS]
_BILLED = [Invoice.Status.FINAL, Invoice.Status.PAID]
_CHARGE = "charge__"
_DOCTOR_NAME = ["title", "given_name", "family_name"]


def revenue_by_department(
    *, viewer: Any, facility: Facility, date_from: dt.date, date_to: dt.date
) -> Report:
    """The lines of invoices finalised on the facility's days `date_from` to `date_to`
    (and not voided since), summed per department and per doctor of the charge, less
    what credit notes issued on those days took off the facility's lines. A charge
    with neither (an item of no department sold over the counter) is "No department";
    one no practitioner rendered is "No doctor"."""
    policies.check_view_billing(viewer, facility)
    start, end = day_bounds(facility, date_from, date_to)
    lines = InvoiceLine.objects.filter(
        invoice__facility=facility,
        invoice__status__in=_BILLED,
        invoice__finalised_at__gte=start,
        invoice__finalised_at__lt=end,
    ).order_by()
    credits = CreditNoteLine.objects.filter(
        credit_note__facility=facility,
        credit_note__issued_at__gte=start,
        credit_note__issued_at__lt=end,
    ).order_by()
    department = [f"{_CHARGE}department__name"]
    doctor = [f"{_CHARGE}practitioner_id", *(f"{_CHARGE}practitioner__{f}" for f in _DOCTOR_NAME)]
    departments = [
        {"department": key[0] or NO_DEPARTMENT, **sums}
        for key, sums in _summed(lines, credits, department)
    ]
    doctors = [
        {"doctor": " ".join(p for p in key[1:] if p) or NO_DOCTOR, **sums}
        for key, sums in _summed(lines, credits, doctor)
    ]
    return Report(
        "revenue",
        "Revenue by department and doctor",
        facility.currency,
        {"date_from": date_from, "date_to": date_to},
        [
            Table("departments", "By department", DEPARTMENT_COLUMNS, departments,
                  totals_of(DEPARTMENT_COLUMNS, departments)),
            Table("doctors", "By doctor", DOCTOR_COLUMNS, doctors,
                  totals_of(DOCTOR_COLUMNS, doctors)),
        ],
    )  # fmt: skip


def _summed(
    lines: QuerySet[InvoiceLine], credits: QuerySet[CreditNoteLine], group_by: list[str]
) -> list[tuple[tuple, dict[str, Any]]]:
    """Per group: lines, gross, discount, tax, billed, credited and net, the largest
    net first. Credits are grouped by the same path through their invoice line."""
    billed = lines.values_list(*group_by).annotate(
        Count("id"), Sum("gross"), Sum("discount"), Sum("tax"), Sum("line_total")
    )
    found: dict[tuple, dict[str, Any]] = {}
    for *key, count, gross, discount, tax, total in billed:
        found[tuple(key)] = {
            "lines": count, "gross": cents(gross), "discount": cents(discount),
            "tax": cents(tax), "billed": cents(total), "credited": ZERO,
        }  # fmt: skip
    taken = credits.values_list(*(f"invoice_line__{path}" for path in group_by)).annotate(
        Sum("amount")
    )
    empty = {"lines": 0, "gross": ZERO, "discount": ZERO, "tax": ZERO, "billed": ZERO}
    for *key, amount in taken:
        found.setdefault(tuple(key), {**empty, "credited": ZERO})["credited"] = cents(amount)
    for sums in found.values():
        sums["net"] = sums["billed"] - sums["credited"]
    return sorted(found.items(), key=lambda item: (-item[1]["net"], str(item[0])))
