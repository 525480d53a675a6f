"""The rows an API call names, found in the caller's facility or NotFound."""

from __future__ import annotations

from hms.core.errors import NotFound
from hms.core.rows import Columns, fetch
from hms.scheduling.models import Appointment, Room, Schedule, Slot, WaitlistEntry
from hms.staff.models import Practitioner, Specialty


def facility_of(request):
    return request._request.facility


_SLOT, _SCHEDULE = Columns(Slot), Columns(Schedule)
_PRACTITIONER, _ROOM = Columns(Practitioner), Columns(Room)


def slot_of(request, slot_id: int) -> Slot:
    """The slot with its schedule, practitioner and room, in one plain statement: every
    booking asks, and compiling the ORM's four-table join cost more than running it."""
    facility = facility_of(request)
    # An id past the column's range names no slot (and SQLite cannot take it).
    if facility is None or not 0 < slot_id < 2**63:
        raise NotFound("No such slot.", field="slot")
    sql = (
        f"SELECT {_SLOT.select('s')}, {_SCHEDULE.select('h')}, "  # noqa: S608
        f"{_PRACTITIONER.select('p')}, {_ROOM.select('r')} "
        f"FROM {Slot._meta.db_table} s "
        f"JOIN {Schedule._meta.db_table} h ON h.id = s.schedule_id "
        f"JOIN {Practitioner._meta.db_table} p ON p.id = s.practitioner_id "
        f"LEFT JOIN {Room._meta.db_table} r ON r.id = s.room_id "
        "WHERE s.id = %s AND h.facility_id = %s"
    )
    for slot, schedule, practitioner, room in fetch(
        sql, [slot_id, facility.pk], _SLOT, _SCHEDULE, _PRACTITIONER, _ROOM
    ):
        schedule.facility = facility
        slot.schedule, slot.practitioner = schedule, practitioner
        slot.room = room if slot.room_id is not None else None
        return slot
    raise NotFound("No such slot.", field="slot")


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


def practitioner_of(request, external_id) -> Practitioner | None:
    """The practitioner of the caller's facility an input names; None when it names none."""
    if external_id is None:
        return None
    found = Practitioner.objects.filter(
        facility=facility_of(request), external_id=external_id
    ).first()
    if found is None:
        raise NotFound("No such practitioner.", field="practitioner")
    return found


def room_of(request, code: str) -> Room | None:
    if not code:
        return None
    found = Room.objects.filter(facility=facility_of(request), code=code).first()
    if found is None:
        raise NotFound(f"No room {code} here.", field="room")
    return found


def specialty_of(code: str | None) -> Specialty | None:
    if not code:
        return None
    found = Specialty.objects.filter(code=code).first()
    if found is None:
        raise NotFound("No such specialty.", field="specialty")
    return found
