"""Reads of claims and remittances that views reuse, scoped to the viewer's facility."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db.models import Prefetch, QuerySet

from hms.billing import policies
from hms.billing.models import Claim, Remittance, RemittanceClaim
from hms.core.errors import NotFound
from hms.core.models import Facility


def claims(  # noqa: PLR0913 - the list's filters, all by keyword
    *,
    viewer: Any,
    facility: Facility,
    status: str = "",
    payer: str = "",
    created_from: dt.date | None = None,
    created_to: dt.date | None = None,
) -> QuerySet[Claim]:
    """The facility's claims, newest first, filtered by status, payer code and the
    day they were built (both days included)."""
    policies.check_view_billing(viewer, facility)
    found = Claim.objects.filter(facility=facility).select_related(
        "payer", "invoice__patient", "coverage"
    )
    if status:
        found = found.filter(status=status)
    if payer:
        found = found.filter(payer__code=payer)
    if created_from:
        found = found.filter(created_at__date__gte=created_from)
    if created_to:
        found = found.filter(created_at__date__lte=created_to)
    return found


def claim_of(*, viewer: Any, facility: Facility, external_id: Any) -> Claim:
    """One claim with its remittance postings."""
    postings = RemittanceClaim.objects.select_related("remittance").order_by("remittance__id")
    found = (
        claims(viewer=viewer, facility=facility)
        .select_related("coverage__plan", "facility")
        .prefetch_related(Prefetch("remittances", queryset=postings))
        .filter(external_id=external_id)
        .first()
    )
    if found is None:
        raise NotFound("No such claim.")
    return found


def remittances(*, viewer: Any, facility: Facility) -> QuerySet[Remittance]:
    policies.check_view_billing(viewer, facility)
    return Remittance.objects.filter(facility=facility).select_related("payer")


def remittance_of(*, viewer: Any, facility: Facility, external_id: Any) -> Remittance:
    """One remittance with its claim payments, in file order."""
    lines = RemittanceClaim.objects.select_related("claim").order_by("position")
    found = (
        remittances(viewer=viewer, facility=facility)
        .prefetch_related(Prefetch("claims", queryset=lines))
        .filter(external_id=external_id)
        .first()
    )
    if found is None:
        raise NotFound("No such remittance.")
    return found
