"""Who may see and change patient records: the facility's staff with the right role.

The default is deny; a patient record is visible only in the facility that holds it.
"""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from hms.accounts import policies
from hms.accounts.permissions import Perm
from hms.core.errors import NotFound
from hms.core.models import Facility
from hms.patients.models import Patient


def scope_patients(
    actor: Any, facility: Facility | None, qs: QuerySet[Patient]
) -> QuerySet[Patient]:
    if not policies.has_permission(actor, Perm.VIEW_PATIENT, facility):
        return qs.none()
    return qs.filter(facility=facility)


def check_patient_permission(actor: Any, perm: Perm, patient: Patient) -> None:
    """NotPermitted without `perm` in the patient's facility. A patient of a facility the
    actor does not work in answers NotFound, so record ids cannot be probed."""
    if not policies.has_permission(actor, Perm.VIEW_PATIENT, patient.facility):
        raise NotFound("No such patient.")
    policies.check_permission(actor, perm, patient.facility)
