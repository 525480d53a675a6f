"""Reads of insurance that views reuse, scoped to the viewer's facility."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from hms.billing import policies
from hms.billing.models import Coverage, EligibilityCheck, Payer, Plan, PreAuthorisation
from hms.billing.services.insurance import member_id_index
from hms.core.errors import NotFound
from hms.core.models import Facility
from hms.patients.models import Patient


def payers(*, viewer: Any, facility: Facility) -> QuerySet[Payer]:
    policies.check_view_billing(viewer, facility)
    return Payer.objects.filter(facility=facility)


def plans(*, viewer: Any, facility: Facility) -> QuerySet[Plan]:
    policies.check_view_billing(viewer, facility)
    return (
        Plan.objects.filter(payer__facility=facility)
        .select_related("payer", "price_list")
        .prefetch_related("preauth_items")
    )


def coverages(
    *, viewer: Any, facility: Facility, patient: Patient | None = None, member_id: str = ""
) -> QuerySet[Coverage]:
    """A patient's coverages, or those whose member ID is exactly `member_id` (spaces,
    dashes and case aside), found by its blind index."""
    policies.check_view_billing(viewer, facility)
    found = Coverage.objects.filter(facility=facility).select_related("patient", "plan__payer")
    if patient is not None:
        found = found.filter(patient=patient)
    if member_id:
        found = found.filter(member_id_index=member_id_index(member_id))
    return found


def coverage_of(*, viewer: Any, facility: Facility, external_id: Any) -> Coverage:
    found = coverages(viewer=viewer, facility=facility).filter(external_id=external_id).first()
    if found is None:
        raise NotFound("No such coverage.", field="coverage")
    return found


def eligibility_checks(*, coverage: Coverage) -> QuerySet[EligibilityCheck]:
    return EligibilityCheck.objects.filter(coverage=coverage).select_related("created_by")


def preauthorisations(*, viewer: Any, facility: Facility) -> QuerySet[PreAuthorisation]:
    policies.check_view_billing(viewer, facility)
    return PreAuthorisation.objects.filter(coverage__facility=facility).select_related(
        "coverage", "item"
    )


def preauthorisation_of(*, viewer: Any, facility: Facility, external_id: Any) -> PreAuthorisation:
    found = preauthorisations(viewer=viewer, facility=facility).filter(external_id=external_id)
    row = found.select_related("coverage__facility", "coverage__patient").first()
    if row is None:
        raise NotFound("No such pre-authorisation.", field="preauthorisation")
    return row
