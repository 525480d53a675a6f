"""Coverages as FHIR R4 Coverage (read and search only).

Choices worth knowing:
- `subscriberId` is the member ID masked but for its last four characters, as the
  REST API shows it (`hms.billing.api.insurance_serializers.masked`): the full number
  is on the card, and a list of them is what a leak is. No role reads it in full.
- The subscriber is the patient when they hold the policy (`relationship` self);
  for a dependant, the policyholder by name (no record of theirs is kept here).
- `class` is the plan (type `plan`, its code the value); `payor` the plan's payer;
  `order` the priority (1 pays first); `costToBeneficiary` the plan's co-pay,
  co-insurance percentage and yearly deductible.
"""

from __future__ import annotations

from typing import Any

from django.db.models import Q, QuerySet
from fhir.resources.R4B.coverage import Coverage as FhirCoverage

from hms.billing import insurance_selectors
from hms.billing.api.insurance_serializers import masked
from hms.billing.models import Coverage
from hms.interop.fhir.resources import billing_common as common
from hms.interop.fhir.resources import searching

RELATIONSHIP = "http://terminology.hl7.org/CodeSystem/subscriber-relationship"
COVERAGE_CLASS = "http://terminology.hl7.org/CodeSystem/coverage-class"
COPAY_TYPE = "http://terminology.hl7.org/CodeSystem/coverage-copay-type"
STATUS_SYSTEM = "http://hl7.org/fhir/fm-status"
SEARCH_PARAMS = (
    ("_id", "token"),
    ("patient", "reference"),
    ("beneficiary", "reference"),
    ("status", "token"),
    ("payor", "reference"),
)
_STATUSES = {
    **{code: Q(status=code) for code in Coverage.Status.values},
    **{code: Q(pk__in=[]) for code in ("draft", "entered-in-error")},
}


def to_fhir(coverage: Coverage) -> FhirCoverage:
    """The coverage as a validated R4 Coverage; `coverages` loads what it reads."""
    plan = coverage.plan
    return FhirCoverage(
        id=str(coverage.external_id),
        meta={"lastUpdated": coverage.updated_at},
        status=coverage.status,
        subscriber=_subscriber(coverage),
        subscriberId=masked(coverage.member_id),
        beneficiary=common.patient_reference(coverage.patient),
        relationship={
            "coding": [
                {
                    "system": RELATIONSHIP,
                    "code": coverage.relationship,
                    "display": coverage.get_relationship_display(),
                }
            ]
        },
        period={
            "start": coverage.valid_from.isoformat(),
            **({"end": coverage.valid_until.isoformat()} if coverage.valid_until else {}),
        },
        payor=[common.payer_reference(plan.payer)],
        **{
            "class": [
                {
                    "type": {"coding": [{"system": COVERAGE_CLASS, "code": "plan"}]},
                    "value": plan.code,
                    "name": plan.name,
                }
            ]
        },
        order=coverage.priority,
        costToBeneficiary=_costs(coverage),
    )


def _subscriber(coverage: Coverage) -> dict[str, Any] | None:
    if coverage.relationship == Coverage.Relationship.SELF:
        return common.patient_reference(coverage.patient)
    name = f"{coverage.subscriber_given_name} {coverage.subscriber_family_name}".strip()
    return {"display": name} if name else None


def _costs(coverage: Coverage) -> list[dict[str, Any]]:
    plan, currency = coverage.plan, coverage.facility.currency

    def cost(code: str, value: dict[str, Any]) -> dict[str, Any]:
        key = "valueMoney" if "currency" in value else "valueQuantity"
        return {"type": {"coding": [{"system": COPAY_TYPE, "code": code}]}, key: value}

    return [
        cost("copay", common.money(plan.copay, currency)),
        cost(
            "copaypct",
            {
                "value": plan.coinsurance_percent,
                "unit": "%",
                "system": "http://unitsofmeasure.org",
                "code": "%",
            },
        ),
        cost("deductible", common.money(plan.deductible, currency)),
    ]


# --- reading -----------------------------------------------------------------------------


def coverages(viewer: Any, facility) -> QuerySet[Coverage]:
    """The facility's coverages for a viewer who sees its billing, as the REST API
    reads them (`billing.insurance_selectors.coverages`)."""
    if not common.sees_billing(viewer, facility):
        return Coverage.objects.none()
    return insurance_selectors.coverages(viewer=viewer, facility=facility).select_related(
        "facility"
    )


def search(qs: QuerySet[Coverage], params) -> QuerySet[Coverage]:
    qs = common.filter_ids(qs, params, "Coverage")
    qs = common.filter_patients(qs, params, ("patient", "beneficiary"), "patient__external_id")
    qs = searching.filter_groups(
        qs, params, "status", common.code_condition("status", STATUS_SYSTEM, _STATUSES)
    )
    qs = common.filter_payers(qs, params, "payor", "plan__payer__external_id")
    return qs.order_by("patient_id", "priority", "pk")
