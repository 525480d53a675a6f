"""Reads for the master patient index: the records officer's duplicates worklist, the
merges done, and what a merge would move."""

from __future__ import annotations

from typing import Any

from django.db.models import Count, Q, QuerySet

from hms.accounts import policies
from hms.accounts.permissions import Perm
from hms.core.models import Facility
from hms.patients.models import DuplicateCandidate, Patient, PatientMerge
from hms.patients.references import movable_references


def _may_merge(viewer: Any, facility: Facility | None) -> bool:
    return policies.has_permission(viewer, Perm.MERGE_PATIENTS, facility)


def duplicate_worklist(*, viewer: Any, facility: Facility | None) -> QuerySet[DuplicateCandidate]:
    """Open pairs of two active records of the facility, likeliest first. A pair whose
    record was merged away or entered in error drops off; it comes back if that merge
    is undone."""
    if not _may_merge(viewer, facility):
        return DuplicateCandidate.objects.none()
    return (
        DuplicateCandidate.objects.filter(
            status=DuplicateCandidate.Status.OPEN,
            patient__facility=facility,
            patient__status=Patient.Status.ACTIVE,
            other__status=Patient.Status.ACTIVE,
        )
        .select_related("patient", "other")
        .order_by("-score", "id")
    )


def pair_candidate(first: Patient, second: Patient) -> DuplicateCandidate | None:
    """The worklist row of two records, decided or not, if there is one."""
    low, high = sorted((first.pk, second.pk))
    return (
        DuplicateCandidate.objects.filter(patient_id=low, other_id=high)
        .select_related("decided_by")
        .first()
    )


def facility_merges(*, viewer: Any, facility: Facility | None) -> QuerySet[PatientMerge]:
    """Merges of the facility's records, newest first."""
    if not _may_merge(viewer, facility):
        return PatientMerge.objects.none()
    return (
        PatientMerge.objects.filter(survivor__facility=facility)
        .select_related("survivor", "merged", "created_by", "undone_by")
        .order_by("-created_at", "-id")
    )


def record_merges(patient: Patient) -> QuerySet[PatientMerge]:
    """Merges the record took part in, either side, newest first."""
    return (
        PatientMerge.objects.filter(Q(survivor=patient) | Q(merged=patient))
        .select_related("survivor", "merged")
        .order_by("-created_at", "-id")
    )


def survivor_of(patient: Patient) -> Patient:
    """The active record a merged record now lives on (following merges of merges)."""
    seen = {patient.pk}
    while patient.status == Patient.Status.MERGED and patient.merged_into_id not in seen:
        seen.add(patient.merged_into_id)
        patient = Patient.objects.get(pk=patient.merged_into_id)
    return patient


def linked_rows(patient: Patient) -> dict[str, int]:
    """What a merge of `patient` into another record would move, per kind of row."""
    counts = {}
    for fk in movable_references():
        n = fk.model._base_manager.filter(**{fk.name: patient}).aggregate(n=Count("pk"))["n"]
        if n:
            counts[str(fk.model._meta.verbose_name_plural)] = n
    return counts
