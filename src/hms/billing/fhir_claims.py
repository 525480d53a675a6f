"""Claims as FHIR R4 `Claim` resources in a `collection` Bundle, each built and
validated with fhir.resources (R4B models, wire-compatible with R4 for Claim).

`Claim.total` is the invoice total, the sum of the items' `net`, as FHIR defines it;
the payer's portion asked for is the claim's amount, in an extension beside it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from fhir.resources.R4B.bundle import Bundle
from fhir.resources.R4B.claim import Claim as FhirClaim

from hms.billing.models import Claim

ICD10 = "http://hl7.org/fhir/sid/icd-10"
CLAIM_TYPE = "http://terminology.hl7.org/CodeSystem/claim-type"
ITEM_CODES = "urn:hms:billable-item"
CONTROL_NUMBERS = "urn:hms:claim"
PAYER_PORTION = "urn:hms:fhir:extension:payer-portion"
_STATUS = {"draft": "draft"}  # every other state of ours is an active claim in FHIR


def _money(value, currency: str) -> dict:
    return {"value": value, "currency": currency}


def claim_resource(claim: Claim) -> FhirClaim:
    """One claim as a validated FHIR Claim."""
    invoice, currency = claim.invoice, claim.currency
    items = []
    for line in invoice.lines.select_related("charge__item").order_by("position"):
        items.append(
            {
                "sequence": line.position,
                "productOrService": {
                    "coding": [{"system": ITEM_CODES, "code": line.charge.item.code}],
                    "text": line.description,
                },
                "servicedDate": line.charge.service_date.isoformat(),
                "quantity": {"value": line.quantity.normalize()},
                "unitPrice": _money(line.unit_price, currency),
                "net": _money(line.line_total, currency),
                "diagnosisSequence": [1] if claim.diagnosis_codes else None,
            }
        )
    data = {
        "resourceType": "Claim",
        "id": str(claim.external_id),
        "identifier": [{"system": CONTROL_NUMBERS, "value": claim.control_number}],
        "status": _STATUS.get(claim.status, "active"),
        "type": {"coding": [{"system": CLAIM_TYPE, "code": "professional"}]},
        "use": "claim",
        "patient": {"reference": f"Patient/{invoice.patient.external_id}"},
        "created": (claim.submitted_at or claim.created_at).isoformat(),
        "insurer": {"reference": f"Organization/{claim.payer.external_id}"},
        "provider": {"reference": f"Organization/{claim.facility.external_id}"},
        "priority": {"coding": [{"code": "normal"}]},
        "diagnosis": [
            {"sequence": n, "diagnosisCodeableConcept": {"coding": [{"system": ICD10, "code": c}]}}
            for n, c in enumerate(claim.diagnosis_codes, start=1)
        ]
        or None,
        "insurance": [
            {
                "sequence": 1,
                "focal": True,
                "coverage": {"reference": f"Coverage/{claim.coverage.external_id}"},
            }
        ],
        "item": items or None,
        "total": _money(invoice.total, currency),
        "extension": [{"url": PAYER_PORTION, "valueMoney": _money(claim.amount, currency)}],
    }
    return FhirClaim.model_validate(_without_none(data))


def claims_bundle(claims: Iterable[Claim], *, now: dt.datetime) -> Bundle:
    """The claims as a validated `collection` Bundle."""
    entries = [
        {
            "fullUrl": f"urn:uuid:{claim.external_id}",
            "resource": claim_resource(claim).model_dump(mode="json", exclude_none=True),
        }
        for claim in claims
    ]
    return Bundle.model_validate(
        {
            "resourceType": "Bundle",
            "type": "collection",
            "timestamp": now.isoformat(),
            "entry": entries,
        }  # fmt: skip
    )


def _without_none(value):
    if isinstance(value, dict):
        return {k: _without_none(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [_without_none(v) for v in value]
    return value
