"""Claims as FHIR R4 Claim (built by `hms.billing.fhir_claims`, the one mapping the
export uses too) and the payer's answers to them as ClaimResponse; read and search.

Choices worth knowing:
- A claim is `draft` until submitted and `active` after (`fhir_claims`); a status
  search takes those two codes.
- A claim the payer has answered (accepted or rejected on receipt; paid, partially
  paid or denied on remittance) has a ClaimResponse with the claim's own id, whose
  `request` is the Claim. `outcome`: accepted is `queued` (received, not yet
  adjudicated), rejected `error`, paid and denied `complete` (adjudicated; a denial
  pays nothing), partially paid `partial`.
- The header `adjudication` and `total` carry what was asked (`submitted`, the payer
  portion claimed), what the payer pays (`benefit`) and what it says the patient owes
  (`urn:hms:adjudication|patient-responsibility`: R4's adjudication codes have none).
- The payer's reason codes (X12 CARC, stored as group-reason like "CO-16") are
  `error` codes in https://x12.org/codes/claim-adjustment-reason-codes, the text
  keeping the group; its words on the claim are a `processNote`.
- `payment` is the last remittance that paid the claim: its amount, date and trace
  number.
"""

from __future__ import annotations

import zoneinfo
from typing import Any

from django.db.models import F, Prefetch, Q, QuerySet
from django.db.models.functions import Coalesce
from django.utils import timezone
from fhir.resources.R4B.claimresponse import ClaimResponse

from hms.billing.fhir_claims import CLAIM_TYPE, CONTROL_NUMBERS
from hms.billing.models import Claim, RemittanceClaim
from hms.interop.fhir.resources import billing_common as common
from hms.interop.fhir.resources import searching

ADJUDICATION = "http://terminology.hl7.org/CodeSystem/adjudication"
OUR_ADJUDICATION = "urn:hms:adjudication"
CARC = "https://x12.org/codes/claim-adjustment-reason-codes"
PAYMENT_TYPE = "http://terminology.hl7.org/CodeSystem/ex-paymenttype"
PAYER_CLAIM_NUMBERS = "urn:hms:payer-claim-number"
CLAIM_STATUS_SYSTEM = "http://hl7.org/fhir/fm-status"
OUTCOME_SYSTEM = "http://hl7.org/fhir/remittance-outcome"
OUTCOME = {
    Claim.Status.ACCEPTED: "queued",
    Claim.Status.REJECTED: "error",
    Claim.Status.PAID: "complete",
    Claim.Status.PARTIALLY_PAID: "partial",
    Claim.Status.DENIED: "complete",
}
CLAIM_PARAMS = (
    ("_id", "token"),
    ("patient", "reference"),
    ("status", "token"),
    ("created", "date"),
    ("identifier", "token"),
)
RESPONSE_PARAMS = (
    ("_id", "token"),
    ("request", "reference"),
    ("patient", "reference"),
    ("outcome", "token"),
)
_CLAIM_STATUSES = {
    "draft": Q(status=Claim.Status.DRAFT),
    "active": ~Q(status=Claim.Status.DRAFT),
    "cancelled": Q(pk__in=[]),
    "entered-in-error": Q(pk__in=[]),
}
_OUTCOMES = {
    code: Q(status__in=[ours for ours, fhir in OUTCOME.items() if fhir == code])
    for code in ("queued", "complete", "error", "partial")
}


def response_to_fhir(claim: Claim, zone: zoneinfo.ZoneInfo) -> ClaimResponse:
    """The payer's answer to an answered claim as a validated R4 ClaimResponse;
    `claim_responses` loads what it reads."""
    currency = claim.currency
    totals = [
        _adjudication(ADJUDICATION, "submitted", "Submitted Amount", claim.amount, currency),
        _adjudication(ADJUDICATION, "benefit", "Benefit Amount", claim.paid_amount, currency),
        _adjudication(
            OUR_ADJUDICATION,
            "patient-responsibility",
            "Patient responsibility",
            claim.patient_responsibility,
            currency,
        ),
    ]
    return ClaimResponse(
        id=str(claim.external_id),
        meta={"lastUpdated": claim.updated_at},
        identifier=(
            [{"system": PAYER_CLAIM_NUMBERS, "value": claim.payer_claim_number}]
            if claim.payer_claim_number
            else None
        ),
        status="active",
        type={"coding": [{"system": CLAIM_TYPE, "code": "professional"}]},
        use="claim",
        patient=common.patient_reference(claim.invoice.patient),
        created=timezone.localtime(claim.updated_at, zone),
        insurer=common.payer_reference(claim.payer),
        requestor=common.facility_reference(claim.facility),
        request={
            "reference": f"Claim/{claim.external_id}",
            "identifier": {"system": CONTROL_NUMBERS, "value": claim.control_number},
        },
        outcome=OUTCOME[claim.status],
        disposition=claim.get_status_display(),
        adjudication=[
            {"category": total["category"], "amount": total["amount"]} for total in totals
        ],
        total=totals,
        payment=_payment(claim),
        error=[{"code": _reason(code)} for code in claim.denial_reason_codes] or None,
        processNote=(
            [{"number": 1, "type": "display", "text": claim.status_reason}]
            if claim.status_reason
            else None
        ),
    )


def _adjudication(system: str, code: str, display: str, amount, currency: str) -> dict:
    return {
        "category": {"coding": [{"system": system, "code": code, "display": display}]},
        "amount": common.money(amount, currency),
    }


def _reason(code: Any) -> dict[str, Any]:
    text = str(code)
    _, _, reason = text.rpartition("-")
    return {"coding": [{"system": CARC, "code": reason or text}], "text": text}


def _payment(claim: Claim) -> dict[str, Any] | None:
    paid = [line for line in claim.paid_lines if line.paid > 0]
    if not paid:
        return None
    last = paid[-1]
    remittance = last.remittance
    kind = "complete" if claim.status == Claim.Status.PAID else "partial"
    return {
        "type": {"coding": [{"system": PAYMENT_TYPE, "code": kind}]},
        "date": (remittance.payment_date or remittance.received_at.date()).isoformat(),
        "amount": common.money(last.paid, remittance.currency),
        "identifier": {"value": remittance.trace_number},
    }


# --- reading -----------------------------------------------------------------------------


def claims(viewer: Any, facility) -> QuerySet[Claim]:
    """The facility's claims for a viewer who sees its billing."""
    if not common.sees_billing(viewer, facility):
        return Claim.objects.none()
    return (
        Claim.objects.filter(facility=facility)
        .select_related("invoice__patient", "payer", "coverage", "facility")
        .annotate(fhir_created=Coalesce(F("submitted_at"), F("created_at")))
    )


def search_claims(qs: QuerySet[Claim], params, zone: zoneinfo.ZoneInfo) -> QuerySet[Claim]:
    qs = common.filter_ids(qs, params, "Claim")
    qs = common.filter_patients(qs, params, ("patient",), "invoice__patient__external_id")
    qs = searching.filter_groups(
        qs, params, "status", common.code_condition("status", CLAIM_STATUS_SYSTEM, _CLAIM_STATUSES)
    )
    qs = common.filter_identifiers(qs, params, CONTROL_NUMBERS, "control_number")
    qs = searching.filter_dates(
        qs,
        params,
        "created",
        zone,
        lambda prefix, low, high: searching.instant_condition(prefix, low, high, "fhir_created"),
    )
    return qs.order_by("fhir_created", "pk")


def claim_responses(viewer: Any, facility) -> QuerySet[Claim]:
    """The facility's claims the payer has answered, with the remittance lines that
    paid them (oldest first)."""
    lines = RemittanceClaim.objects.select_related("remittance").order_by(
        "remittance__received_at", "remittance_id", "position"
    )
    return (
        claims(viewer, facility)
        .filter(status__in=list(OUTCOME))
        .prefetch_related(Prefetch("remittances", queryset=lines, to_attr="paid_lines"))
    )


def search_responses(qs: QuerySet[Claim], params) -> QuerySet[Claim]:
    qs = common.filter_ids(qs, params, "ClaimResponse")
    qs = searching.filter_groups(
        qs,
        params,
        "request",
        lambda v: Q(external_id=searching.uuid_id(v, "Claim", "request")),
    )
    qs = common.filter_patients(qs, params, ("patient",), "invoice__patient__external_id")
    qs = searching.filter_groups(
        qs, params, "outcome", common.code_condition("outcome", OUTCOME_SYSTEM, _OUTCOMES)
    )
    return qs.order_by("updated_at", "pk")
