"""Finding the patient a page is about, within what the viewer may see."""

from __future__ import annotations

from django.http import HttpRequest
from django.shortcuts import get_object_or_404

from hms.patients.models import Patient
from hms.patients.policies import scope_patients


def patient_or_404(request: HttpRequest, external_id) -> Patient:
    """The patient with this public id in the viewer's current facility, else 404: a
    record of another facility answers as if it did not exist, so ids cannot be probed."""
    patients = scope_patients(request.user, request.facility, Patient.objects.all())
    return get_object_or_404(
        patients.select_related("facility", "merged_into"), external_id=external_id
    )
