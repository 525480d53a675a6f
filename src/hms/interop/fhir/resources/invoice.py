"""Invoices as FHIR R4 Invoice (read and search only).

Choices worth knowing:
- Statuses: a draft is `draft`, a final invoice `issued`, a paid one `balanced` (R4:
  "the invoice has been balanced / completely paid") and a void one `cancelled`, its
  reason as `cancelledReason`.
- `identifier` is the invoice number (`urn:hms:invoice-number`), which a draft does
  not have yet; `date` is when it was finalised (a draft's: when it was drafted).
- Each line refers to the ChargeItem it was made from, with its price components:
  `base` (quantity x unit price, the quantity as the factor), a `discount` when the
  line has one, and `tax` (the rate as the factor) when it is taxed.
- `totalNet` is the total before tax (after discounts), `totalGross` the total.
- A discount's reason, and the payer's and patient's portions of an insured invoice,
  are notes.
"""

from __future__ import annotations

import zoneinfo
from typing import Any

from django.db.models import F, Q, QuerySet
from django.db.models.functions import Coalesce
from django.utils import timezone
from fhir.resources.R4B.invoice import Invoice as FhirInvoice

from hms.billing import selectors
from hms.billing.models import Invoice, InvoiceLine
from hms.interop.fhir.resources import billing_common as common
from hms.interop.fhir.resources import searching

NUMBERS = "urn:hms:invoice-number"
STATUS_SYSTEM = "http://hl7.org/fhir/invoice-status"
STATUS = {
    Invoice.Status.DRAFT: "draft",
    Invoice.Status.FINAL: "issued",
    Invoice.Status.PAID: "balanced",
    Invoice.Status.VOID: "cancelled",
}
SEARCH_PARAMS = (
    ("_id", "token"),
    ("patient", "reference"),
    ("subject", "reference"),
    ("status", "token"),
    ("date", "date"),
    ("identifier", "token"),
)
_STATUSES = {
    **{fhir: Q(status=ours) for ours, fhir in STATUS.items()},
    "entered-in-error": Q(pk__in=[]),
}


def to_fhir(invoice: Invoice, zone: zoneinfo.ZoneInfo) -> FhirInvoice:
    """The invoice as a validated R4 Invoice, its times in `zone`; `invoices` loads
    what it reads."""
    currency = invoice.currency
    return FhirInvoice(
        id=str(invoice.external_id),
        meta={"lastUpdated": invoice.updated_at},
        identifier=[{"system": NUMBERS, "value": invoice.number}] if invoice.number else None,
        status=STATUS[invoice.status],
        cancelledReason=invoice.void_reason or None,
        subject=common.patient_reference(invoice.patient),
        date=timezone.localtime(invoice.finalised_at or invoice.created_at, zone),
        issuer=common.facility_reference(invoice.facility),
        lineItem=[_line(line, currency) for line in invoice.lines.all()] or None,
        totalNet=common.money(invoice.total - invoice.tax_total, currency),
        totalGross=common.money(invoice.total, currency),
        note=[{"text": text} for text in _notes(invoice)] or None,
    )


def _line(line: InvoiceLine, currency: str) -> dict[str, Any]:
    components: list[dict[str, Any]] = [
        {
            "type": "base",
            "factor": line.quantity.normalize(),
            "amount": common.money(line.gross, currency),
        }
    ]
    if line.discount:
        components.append({"type": "discount", "amount": common.money(line.discount, currency)})
    if line.tax_rate:
        components.append(
            {
                "type": "tax",
                "factor": (line.tax_rate / 100).normalize(),
                "amount": common.money(line.tax, currency),
            }
        )
    return {
        "sequence": line.position,
        "chargeItemReference": {
            "reference": f"ChargeItem/{line.charge.external_id}",
            "display": line.description,
        },
        "priceComponent": components,
    }


def _notes(invoice: Invoice) -> list[str]:
    notes = []
    if invoice.discount_reason:
        notes.append(f"Discount: {invoice.discount_reason}")
    if invoice.payer_amount is not None:
        notes.append(
            f"Payer portion {invoice.payer_amount} {invoice.currency}, patient portion "
            f"{invoice.patient_amount} {invoice.currency}."
        )
    return notes


# --- reading -----------------------------------------------------------------------------


def invoices(viewer: Any, facility) -> QuerySet[Invoice]:
    """The facility's invoices for a viewer who sees its billing, as the REST API
    reads them (`billing.selectors.invoices_of`)."""
    if not common.sees_billing(viewer, facility):
        return Invoice.objects.none()
    return selectors.invoices_of(viewer=viewer, facility=facility).annotate(
        fhir_date=Coalesce(F("finalised_at"), F("created_at"))
    )


def search(qs: QuerySet[Invoice], params, zone: zoneinfo.ZoneInfo) -> QuerySet[Invoice]:
    qs = common.filter_ids(qs, params, "Invoice")
    qs = common.filter_patients(qs, params, ("patient", "subject"), "patient__external_id")
    qs = searching.filter_groups(
        qs, params, "status", common.code_condition("status", STATUS_SYSTEM, _STATUSES)
    )
    qs = common.filter_identifiers(qs, params, NUMBERS, "number")
    qs = searching.filter_dates(
        qs,
        params,
        "date",
        zone,
        lambda prefix, low, high: searching.instant_condition(prefix, low, high, "fhir_date"),
    )
    return qs.order_by("fhir_date", "pk")
