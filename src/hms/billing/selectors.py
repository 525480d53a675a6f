"""Reads of billing that views reuse, scoped to the viewer's facility and permission."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from hms.billing import policies
from hms.billing.models import (
    BillableItem,
    Charge,
    CreditNote,
    Invoice,
    Package,
    Price,
    PriceList,
)
from hms.core.errors import NotFound
from hms.core.models import Facility
from hms.patients.models import Patient


def billable_items(*, viewer: Any, facility: Facility, kind: str = "") -> QuerySet[BillableItem]:
    policies.check_view_billing(viewer, facility)
    items = BillableItem.objects.filter(facility=facility).select_related("specialty")
    return items.filter(kind=kind) if kind else items


def price_lists(*, viewer: Any, facility: Facility) -> QuerySet[PriceList]:
    policies.check_view_billing(viewer, facility)
    return PriceList.objects.filter(facility=facility)


def price_list_of(*, viewer: Any, facility: Facility, external_id: Any) -> PriceList:
    found = price_lists(viewer=viewer, facility=facility).filter(external_id=external_id).first()
    if found is None:
        raise NotFound("No such price list.", field="price_list")
    return found


def prices_on(*, price_list: PriceList) -> QuerySet[Price]:
    """Every price of the list, current and past: its history, item by item."""
    return (
        Price.objects.filter(price_list=price_list)
        .select_related("item")
        .order_by("item__code", "valid_from")
    )


def charges_of(*, viewer: Any, facility: Facility, patient: Patient) -> QuerySet[Charge]:
    policies.check_view_billing(viewer, facility)
    return (
        Charge.objects.filter(facility=facility, patient=patient)
        .select_related(
            "item", "price_list", "patient", "encounter", "invoice", "practitioner", "department"
        )
        .order_by("-service_date", "-id")
    )


def charge_of(*, viewer: Any, facility: Facility, external_id: Any) -> Charge:
    policies.check_view_billing(viewer, facility)
    found = (
        Charge.objects.filter(facility=facility, external_id=external_id)
        .select_related("facility", "patient", "item", "practitioner", "department")
        .first()
    )
    if found is None:
        raise NotFound("No such charge.")
    return found


def invoices_of(
    *, viewer: Any, facility: Facility, patient: Patient | None = None, status: str = ""
) -> QuerySet[Invoice]:
    policies.check_view_billing(viewer, facility)
    invoices = Invoice.objects.filter(facility=facility).select_related(
        "facility", "patient", "encounter"
    )
    if patient is not None:
        invoices = invoices.filter(patient=patient)
    if status:
        invoices = invoices.filter(status=status)
    return invoices.prefetch_related("lines__charge", "lines__absorbed_by")


def invoice_of(*, viewer: Any, facility: Facility, external_id: Any) -> Invoice:
    found = invoices_of(viewer=viewer, facility=facility).filter(external_id=external_id).first()
    if found is None:
        raise NotFound("No such invoice.")
    return found


def packages(*, viewer: Any, facility: Facility) -> QuerySet[Package]:
    policies.check_view_billing(viewer, facility)
    return (
        Package.objects.filter(facility=facility)
        .select_related("item")
        .prefetch_related("components__item")
    )


def credit_notes_of(*, invoice: Invoice) -> QuerySet[CreditNote]:
    return invoice.credit_notes.select_related("invoice")
