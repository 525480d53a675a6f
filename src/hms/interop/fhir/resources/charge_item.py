"""Charges as FHIR R4 ChargeItem (read and search only).

Choices worth knowing:
- A charge's statuses are ChargeItem's own codes (billable, billed, entered-in-error).
- `code` is the billable item in `urn:hms:billable-item` (the system the Claims use),
  its text the description the charge was captured with.
- `occurrenceDateTime` is the day the service was rendered (a date, as FHIR's
  dateTime allows); `enteredDate` when the charge was captured.
- The tariff's price is shown on the Invoice line the charge is billed on. A price set
  by hand is `priceOverride` (the charge's amount, quantity x unit price) with the
  note as `overrideReason`; ChargeItem has no element for a tariff price.
- Who rendered it is `performer` (the Practitioner), and the department it is reported
  under `costCenter`, named by its code in `urn:hms:department` (departments are not
  served as Organizations).
- `identifier` is the charge's source (`urn:hms:charge-source`), unique per facility:
  capturing the same service twice gives the same charge.
"""

from __future__ import annotations

import zoneinfo
from typing import Any

from django.db.models import Q, QuerySet
from django.utils import timezone
from fhir.resources.R4B.chargeitem import ChargeItem

from hms.billing.fhir_claims import ITEM_CODES
from hms.billing.models import Charge
from hms.interop.fhir.resources import billing_common as common
from hms.interop.fhir.resources import practitioner, searching

SOURCES = "urn:hms:charge-source"
DEPARTMENTS = "urn:hms:department"
STATUS_SYSTEM = "http://hl7.org/fhir/chargeitem-status"
SEARCH_PARAMS = (
    ("_id", "token"),
    ("patient", "reference"),
    ("subject", "reference"),
    ("encounter", "reference"),
    ("context", "reference"),
    ("status", "token"),
    ("code", "token"),
    ("entered-date", "date"),
    ("occurrence", "date"),
)
_STATUSES = {
    **{code: Q(status=code) for code in Charge.Status.values},
    # Valid R4 codes no charge here has.
    **{code: Q(pk__in=[]) for code in ("planned", "not-billable", "aborted", "unknown")},
}


def to_fhir(charge: Charge, zone: zoneinfo.ZoneInfo) -> ChargeItem:
    """The charge as a validated R4 ChargeItem, its times in `zone`; `charges` loads
    what it reads."""
    notes = [{"text": text} for text in (charge.note, charge.void_reason) if text]
    return ChargeItem(
        id=str(charge.external_id),
        meta={"lastUpdated": charge.updated_at},
        identifier=[{"system": SOURCES, "value": charge.source}],
        status=charge.status,
        code={
            "coding": [
                {"system": ITEM_CODES, "code": charge.item.code, "display": charge.item.name}
            ],
            "text": charge.description,
        },
        subject=common.patient_reference(charge.patient),
        context=(
            {"reference": f"Encounter/{charge.encounter.external_id}"} if charge.encounter else None
        ),
        occurrenceDateTime=charge.service_date.isoformat(),
        performer=(
            [{"actor": practitioner.reference(charge.practitioner)}]
            if charge.practitioner
            else None
        ),
        performingOrganization=common.facility_reference(charge.facility),
        costCenter=(
            {
                "identifier": {"system": DEPARTMENTS, "value": charge.department.code},
                "display": charge.department.name,
            }
            if charge.department
            else None
        ),
        quantity={"value": charge.quantity.normalize()},
        priceOverride=(
            common.money(charge.amount, charge.currency) if charge.price_overridden else None
        ),
        overrideReason=(charge.note or None) if charge.price_overridden else None,
        enteredDate=timezone.localtime(charge.created_at, zone),
        note=notes or None,
    )


# --- reading -----------------------------------------------------------------------------


def charges(viewer: Any, facility) -> QuerySet[Charge]:
    """The facility's charges for a viewer who sees its billing."""
    if not common.sees_billing(viewer, facility):
        return Charge.objects.none()
    return Charge.objects.filter(facility=facility).select_related(
        "facility", "patient", "encounter", "item", "practitioner", "department"
    )


def search(qs: QuerySet[Charge], params, zone: zoneinfo.ZoneInfo) -> QuerySet[Charge]:
    qs = common.filter_ids(qs, params, "ChargeItem")
    qs = common.filter_patients(qs, params, ("patient", "subject"), "patient__external_id")
    for name in ("encounter", "context"):
        qs = searching.filter_groups(
            qs,
            params,
            name,
            lambda v, name=name: Q(encounter__external_id=searching.uuid_id(v, "Encounter", name)),
        )
    qs = searching.filter_groups(
        qs, params, "status", common.code_condition("status", STATUS_SYSTEM, _STATUSES)
    )
    qs = searching.filter_groups(qs, params, "code", _code_condition)
    qs = searching.filter_dates(
        qs,
        params,
        "entered-date",
        zone,
        lambda prefix, low, high: searching.instant_condition(prefix, low, high, "created_at"),
    )
    qs = searching.filter_dates(
        qs,
        params,
        "occurrence",
        zone,
        lambda prefix, low, high: common.day_condition(prefix, low, high, "service_date", zone),
    )
    return qs.order_by("service_date", "pk")


def _code_condition(value: str) -> Q:
    system, code = searching.token(value)
    if system not in (None, ITEM_CODES) or not code:
        return Q(pk__in=[])
    return Q(item__code=code)
