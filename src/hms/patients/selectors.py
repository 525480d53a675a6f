"""Reads of the registry: the front desk's search, a patient's record and timeline."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.db.models import Q, QuerySet

from hms.core import crypto
from hms.core.models import Facility
from hms.patients import mrn, search
from hms.patients.inputs import identifier_key, normalise_phone
from hms.patients.models import Patient, PatientIdentifier, PatientNameKey, TimelineEntry
from hms.patients.policies import scope_patients


@dataclass(frozen=True)
class SearchPage:
    results: list[Patient]
    has_more: bool


def search_patients(
    *,
    viewer: Any,
    facility: Facility | None,
    query: str = "",
    birth_date: dt.date | None = None,
    sex: str = "",
    include_inactive: bool = False,
    limit: int = 20,
    offset: int = 0,
) -> SearchPage:
    """Find patients by MRN, phone, identifier number or name words (any order, prefix,
    one typo per word), optionally narrowed by birth date and sex; best matches first.

    Scoped to the viewer's facility and permission. Merged records are left out unless
    `include_inactive`.
    """
    qs = scope_patients(viewer, facility, Patient.objects.all())
    if not include_inactive:
        qs = qs.filter(status=Patient.Status.ACTIVE)
    if birth_date:
        qs = qs.filter(birth_date=birth_date)
    if sex:
        qs = qs.filter(sex=sex)
    query = query.strip()
    if not query:
        rows = list(qs.order_by("-id")[offset : offset + limit + 1])
        return SearchPage(rows[:limit], len(rows) > limit)
    exact = _exact_matches(qs, query, facility)
    if exact is not None:
        rows = list(exact[offset : offset + limit + 1])
        return SearchPage(rows[:limit], len(rows) > limit)
    return _name_search(qs, query, limit, offset)


def _exact_matches(qs: QuerySet[Patient], query: str, facility: Facility | None):
    """MRN, phone or identifier: an exact lookup, or None when the query is a name."""
    if not any(c.isdigit() for c in query):
        return None
    compact = mrn.normalise(query)
    conditions = Q(mrn=compact)
    try:
        phone = normalise_phone(query, facility.country if facility else "KE")
    except Exception:  # noqa: BLE001 - not a phone number: fine, try the rest
        phone = ""
    if phone:
        conditions |= Q(phone_index=crypto.blind_index(phone, kind="phone"))
    indexes = [
        crypto.blind_index(identifier_key(system, query), kind="identifier")
        for system in PatientIdentifier.System.values
    ]
    conditions |= Q(
        pk__in=PatientIdentifier.objects.filter(value_index__in=indexes).values("patient_id")
    )
    return qs.filter(conditions).order_by("family_name", "given_name", "id")


def _name_search(qs: QuerySet[Patient], query: str, limit: int, offset: int) -> SearchPage:
    words = search.query_tokens(query)
    if not words:
        return SearchPage([], False)
    for word in words:
        keys = search.query_keys(word)
        qs = qs.filter(pk__in=PatientNameKey.objects.filter(key__in=keys).values("patient_id"))
    candidates = list(qs[:500])
    candidates.sort(key=lambda p: (-search.rank(words, p.search_name), p.search_name))
    page = candidates[offset : offset + limit + 1]
    return SearchPage(page[:limit], len(page) > limit)


def patient_timeline(*, patient: Patient, limit: int = 200) -> list[TimelineEntry]:
    """The patient's interactions, newest first, including those of records merged into it."""
    ids = [patient.pk, *Patient.objects.filter(merged_into=patient).values_list("pk", flat=True)]
    return list(
        TimelineEntry.objects.filter(patient_id__in=ids)
        .select_related("actor")
        .order_by("-occurred_at", "-id")[:limit]
    )
