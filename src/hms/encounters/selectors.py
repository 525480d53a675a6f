"""Reads of visits that other apps reuse."""

from __future__ import annotations

import datetime as dt
import zoneinfo

from django.utils import timezone

from hms.encounters.models import Encounter
from hms.patients.models import Patient


def open_visit_today(patient: Patient, *, for_update: bool = False) -> Encounter | None:
    """The patient's visit still open that started on the facility's today, if any. A visit
    left open from an earlier day (nobody closed it) does not hold up today's."""
    zone = zoneinfo.ZoneInfo(patient.facility.timezone)
    midnight = dt.datetime.combine(timezone.localdate(timezone=zone), dt.time(), tzinfo=zone)
    visits = Encounter.objects.filter(
        patient=patient, status__in=Encounter.OPEN, arrived_at__gte=midnight
    ).select_related("department", "facility", "patient__facility")
    if for_update:
        visits = visits.select_for_update(of=("self",))
    return visits.order_by("arrived_at").first()
