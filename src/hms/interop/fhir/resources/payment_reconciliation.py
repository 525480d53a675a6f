"""Payers' remittances (X12 835 payment advices) as FHIR R4 PaymentReconciliation;
read and search.

Choices worth knowing:
- The trace number (TRN02, the cheque or EFT number) is both `identifier` and
  `paymentIdentifier`, in `urn:hms:remittance-trace`; it is unique per payer.
- `paymentDate` is the payment's date (BPR16), or the day the advice was received
  when it gave none; `created` when it was received.
- One `detail` per claim paid in it (an 835 CLP loop), type `payment`, for what the
  payer paid on it; its `request` is our Claim (and its `response` the
  ClaimResponse) when the control number matched one, and the control number is
  the detail's identifier either way.
"""

from __future__ import annotations

import zoneinfo
from typing import Any

from django.db.models import Prefetch, Q, QuerySet
from django.utils import timezone
from fhir.resources.R4B.paymentreconciliation import PaymentReconciliation

from hms.billing.fhir_claims import CONTROL_NUMBERS
from hms.billing.models import Remittance, RemittanceClaim
from hms.interop.fhir.resources import billing_common as common
from hms.interop.fhir.resources import searching

TRACE_NUMBERS = "urn:hms:remittance-trace"
PAYMENT_TYPE = "http://terminology.hl7.org/CodeSystem/payment-type"
SEARCH_PARAMS = (
    ("_id", "token"),
    ("identifier", "token"),
    ("created", "date"),
    ("payment-issuer", "reference"),
    ("request", "reference"),
)


def to_fhir(remittance: Remittance, zone: zoneinfo.ZoneInfo) -> PaymentReconciliation:
    """The remittance as a validated R4 PaymentReconciliation; `remittances` loads
    what it reads."""
    trace = {"system": TRACE_NUMBERS, "value": remittance.trace_number}
    paid_on = remittance.payment_date or timezone.localtime(remittance.received_at, zone).date()
    return PaymentReconciliation(
        id=str(remittance.external_id),
        meta={"lastUpdated": remittance.updated_at},
        identifier=[trace],
        status="active",
        created=timezone.localtime(remittance.received_at, zone),
        paymentIssuer=common.payer_reference(remittance.payer),
        requestor=common.facility_reference(remittance.facility),
        outcome="complete",
        paymentDate=paid_on.isoformat(),
        paymentAmount=common.money(remittance.total_paid, remittance.currency),
        paymentIdentifier=trace,
        detail=[_detail(line, remittance, paid_on) for line in remittance.claims.all()] or None,
    )


def _detail(line: RemittanceClaim, remittance: Remittance, paid_on) -> dict[str, Any]:
    claim = line.claim
    return {
        "identifier": {"system": CONTROL_NUMBERS, "value": line.control_number},
        "type": {"coding": [{"system": PAYMENT_TYPE, "code": "payment"}]},
        "request": {"reference": f"Claim/{claim.external_id}"} if claim else None,
        "response": {"reference": f"ClaimResponse/{claim.external_id}"} if claim else None,
        "date": paid_on.isoformat(),
        "amount": common.money(line.paid, remittance.currency),
    }


def patients_of(remittance: Remittance) -> list:
    """The patients whose claims the remittance pays, each once: reading it reads
    their claims."""
    found: dict[int, Any] = {}
    for line in remittance.claims.all():
        if line.claim is not None:
            found.setdefault(line.claim.invoice.patient_id, line.claim.invoice.patient)
    return list(found.values())


# --- reading -----------------------------------------------------------------------------


def remittances(viewer: Any, facility) -> QuerySet[Remittance]:
    """The facility's remittances for a viewer who sees its billing, with their
    claim lines."""
    if not common.sees_billing(viewer, facility):
        return Remittance.objects.none()
    lines = RemittanceClaim.objects.select_related("claim__invoice__patient").order_by("position")
    return (
        Remittance.objects.filter(facility=facility)
        .select_related("payer", "facility")
        .prefetch_related(Prefetch("claims", queryset=lines))
    )


def search(qs: QuerySet[Remittance], params, zone: zoneinfo.ZoneInfo) -> QuerySet[Remittance]:
    qs = common.filter_ids(qs, params, "PaymentReconciliation")
    qs = common.filter_identifiers(qs, params, TRACE_NUMBERS, "trace_number")
    qs = searching.filter_dates(
        qs,
        params,
        "created",
        zone,
        lambda prefix, low, high: searching.instant_condition(prefix, low, high, "received_at"),
    )
    qs = common.filter_payers(qs, params, "payment-issuer", "payer__external_id")
    qs = searching.filter_groups(
        qs,
        params,
        "request",
        lambda v: Q(claims__claim__external_id=searching.uuid_id(v, "Claim", "request")),
    )
    return qs.distinct().order_by("received_at", "pk")
