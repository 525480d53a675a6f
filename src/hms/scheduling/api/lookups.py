"""The rows an API call names, found in the caller's facility or NotFound."""

from __future__ import annotations

from hms.core.errors import NotFound
from hms.scheduling.models import Appointment, Slot, WaitlistEntry


def facility_of(request):
    return request._request.facility


def slot_of(request, slot_id: int) -> Slot:
    slot = (
        Slot.objects.select_related("schedule", "practitioner", "room")
        .filter(pk=slot_id, schedule__facility=facility_of(request))
        .first()
    )
    if slot is None:
        raise NotFound("No such slot.", field="slot")
    return slot


def appointment_of(request, external_id) -> Appointment:
    appointment = (
        Appointment.objects.select_related("patient__facility", "practitioner", "room", "facility")
        .filter(external_id=external_id, facility=facility_of(request))
        .first()
    )
    if appointment is None:
        raise NotFound("No such appointment.")
    return appointment


def waitlist_entry_of(request, external_id) -> WaitlistEntry:
    entry = (
        WaitlistEntry.objects.select_related("patient__facility")
        .filter(external_id=external_id, facility=facility_of(request))
        .first()
    )
    if entry is None:
        raise NotFound("No such waitlist entry.")
    return entry
