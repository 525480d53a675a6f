"""Likely duplicates (the master patient index's matcher).

Candidates come from blocking keys (same phone, same identifier, same birth date, a
shared phonetic family-name key); each is then scored on name similarity (Jaro-Winkler,
swapped names allowed), birth date, sex, phone and identifiers.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import jellyfish
from django.db.models import Q

from hms.patients.models import Patient, PatientIdentifier, PatientNameKey
from hms.patients.names import tokens

LIKELY = 0.75  # shown before saving and put on the worklist


@dataclass(frozen=True)
class Probe:
    given_name: str
    family_name: str
    sex: str = ""
    birth_date: dt.date | None = None
    phone_index: str = ""
    identifier_indexes: tuple[str, ...] = field(default_factory=tuple)


@dataclass(frozen=True)
class Match:
    patient: Patient
    score: float
    reasons: tuple[str, ...]


def _name_similarity(probe: Probe, patient: Patient) -> float:
    a_given, a_family = " ".join(tokens(probe.given_name)), " ".join(tokens(probe.family_name))
    b_given, b_family = " ".join(tokens(patient.given_name)), " ".join(tokens(patient.family_name))
    straight = (
        jellyfish.jaro_winkler_similarity(a_given, b_given)
        + jellyfish.jaro_winkler_similarity(a_family, b_family)
    ) / 2
    swapped = (
        jellyfish.jaro_winkler_similarity(a_given, b_family)
        + jellyfish.jaro_winkler_similarity(a_family, b_given)
    ) / 2
    return max(straight, swapped)


def score(probe: Probe, patient: Patient, identifier_hit: bool) -> Match:
    reasons = []
    name = _name_similarity(probe, patient)
    total = 0.5 * name
    if name >= 0.9:
        reasons.append("similar name")
    if probe.birth_date and patient.birth_date:
        if probe.birth_date == patient.birth_date:
            total += 0.3
            reasons.append("same birth date")
        elif probe.birth_date.year == patient.birth_date.year or {
            probe.birth_date.month,
            probe.birth_date.day,
        } == {patient.birth_date.month, patient.birth_date.day}:
            total += 0.12
    if probe.sex and patient.sex and probe.sex != patient.sex:
        total -= 0.15
    if probe.phone_index and probe.phone_index == patient.phone_index:
        total += 0.2
        reasons.append("same phone")
    if identifier_hit:
        total += 0.35
        reasons.append("same identifier")
    return Match(patient=patient, score=round(min(total, 1.0), 3), reasons=tuple(reasons))


def find_likely_duplicates(
    probe: Probe,
    *,
    facility_id: int,
    exclude_id: int | None = None,
    threshold: float = LIKELY,
    limit: int = 5,
) -> list[Match]:
    """Active patients of the facility that may be the person described by `probe`."""
    blocking = Q()
    if probe.birth_date:
        blocking |= Q(birth_date=probe.birth_date)
    if probe.phone_index:
        blocking |= Q(phone_index=probe.phone_index)
    phonetic = {
        f"m{jellyfish.metaphone(t)}"
        for t in tokens(probe.family_name)
        if t.isascii() and t.isalpha()
    }
    if phonetic:
        blocking |= Q(
            pk__in=PatientNameKey.objects.filter(key__in=phonetic).values("patient_id")[:2000]
        )
    identifier_ids: set[int] = set()
    if probe.identifier_indexes:
        identifier_ids = set(
            PatientIdentifier.objects.filter(value_index__in=probe.identifier_indexes).values_list(
                "patient_id", flat=True
            )
        )
        blocking |= Q(pk__in=identifier_ids)
    if not blocking:
        return []
    candidates = Patient.objects.filter(
        blocking, facility_id=facility_id, status=Patient.Status.ACTIVE
    )
    if exclude_id:
        candidates = candidates.exclude(pk=exclude_id)
    matches = [score(probe, p, p.pk in identifier_ids) for p in candidates[:500]]
    matches = [m for m in matches if m.score >= threshold]
    return sorted(matches, key=lambda m: -m.score)[:limit]
