"""The registry's answers to the auditor's "who is this patient": registered with the
audit trail at start-up (`hms.audit.directory`)."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from functools import reduce
from operator import and_

from django.db.models import Q

from hms.audit.directory import PatientLabel
from hms.core import context
from hms.core.names import tokens
from hms.patients.models import Patient

# Enough for any one person's records across facilities, few enough for one IN list.
MATCH_LIMIT = 200


def patients_matching(text: str) -> list[str]:
    """Every facility's records whose MRN is `text` (any case), or whose name holds
    each of its words (accents and case ignored)."""
    words = tokens(text)
    if not words:
        return []
    by_name = reduce(and_, (Q(search_name__contains=w) for w in words))
    found = Patient.objects.filter(Q(mrn__iexact=text.strip()) | by_name).order_by("id")
    return [str(i) for i in found.values_list("external_id", flat=True)[:MATCH_LIMIT]]


def labels(patient_ids: Iterable[str]) -> dict[str, PatientLabel]:
    ids = [key for key in map(_uuid, patient_ids) if key is not None]
    rows = Patient.objects.filter(external_id__in=ids).values_list(
        "external_id", "mrn", "given_name", "middle_name", "family_name"
    )
    found = {
        str(key): PatientLabel(" ".join(p for p in names if p), mrn) for key, mrn, *names in rows
    }
    # The auditor sees who the patients are: a read of them like any other.
    context.note_patients_shown(found, what="audit search")
    return found


def _uuid(value: str) -> uuid.UUID | None:
    try:
        return uuid.UUID(str(value))
    except ValueError:
        return None
