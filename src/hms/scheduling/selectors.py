"""Reads of schedules, slots and appointments that pages and APIs share."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from django.db import connection
from django.db.models import Count, F, Q, QuerySet
from django.db.models.functions import ExtractWeekDay
from django.utils import timezone

from hms.accounts import policies
from hms.accounts.permissions import Perm
from hms.audit.services import record_patients_shown
from hms.core.models import Facility
from hms.core.rows import Columns, fetch
from hms.scheduling import times
from hms.scheduling.models import Appointment, QueueTicket, Room, Schedule, Slot, WaitlistEntry
from hms.staff.models import Practitioner


def open_slots(facility: Facility) -> QuerySet[Slot]:
    """Slots of the facility's active practitioners that can still be booked."""
    return Slot.objects.filter(
        schedule__facility=facility,
        schedule__is_active=True,
        practitioner__is_active=True,
        booked__lt=F("capacity"),
        blocked_reason="",
    )


# The free slots of several practitioners are looked for in the next week first, then
# up to eight weeks, then beyond: a bounded time range keeps the work small whatever
# order the database joins the tables in. Unbounded, SQLite starts from the specialty's
# practitioners and sorts all their open slots up to the schedules' horizon (tens of
# thousands) to return the first ten.
SEARCH_SPANS = (dt.timedelta(days=7), dt.timedelta(days=56))


def next_free_slots(
    *,
    facility: Facility,
    practitioner_id: int | None = None,
    practitioner: uuid.UUID | None = None,
    specialty: str | None = None,
    kind: str | None = None,
    after: dt.datetime | None = None,
    limit: int = 10,
    emergency: bool = False,
) -> list[Slot]:
    """The first `limit` free slots from `after` (now), earliest first, of one
    practitioner (by id or external id), a specialty (by code) or a kind of visit;
    emergency slots only when `emergency`. One practitioner's slots are read in time
    order from their own index; those of several, one time range after another
    (SEARCH_SPANS) until `limit` are found."""
    start = after or timezone.now()
    if practitioner_id is not None and practitioner is None and not specialty and not kind:
        return _next_free_of(facility, practitioner_id, start, limit, emergency)
    slots = open_slots(facility)
    if not emergency:
        slots = slots.filter(is_emergency=False)
    if practitioner_id is not None:
        slots = slots.filter(practitioner_id=practitioner_id)
    if practitioner is not None:
        slots = slots.filter(practitioner__external_id=practitioner)
    if specialty:
        slots = slots.filter(practitioner__specialties__code=specialty)
    if kind:
        slots = slots.filter(schedule__kind=kind)
    ordered = slots.select_related("practitioner", "room").order_by("starts_at", "practitioner_id")
    one = practitioner_id is not None or practitioner is not None
    ends = [None] if one else [*(start + span for span in SEARCH_SPANS), None]
    found: list[Slot] = []
    for end in ends:
        batch = ordered.filter(starts_at__gt=start)
        if end is not None:
            batch = batch.filter(starts_at__lte=end)
        found.extend(batch[: limit - len(found)])
        if len(found) >= limit or end is None:
            break
        start = end
    return found


_SLOT, _PRACTITIONER, _ROOM = Columns(Slot), Columns(Practitioner), Columns(Room)


def _next_free_of(
    facility: Facility, practitioner_id: int, start: dt.datetime, limit: int, emergency: bool
) -> list[Slot]:
    """next_free_slots of one practitioner by id, as the ORM query would read them, in
    one plain statement: every 409 SLOT_TAKEN offers these, and compiling the ORM's
    query cost more than running it."""
    if facility is None:
        return []
    sql = (
        f"SELECT {_SLOT.select('s')}, {_PRACTITIONER.select('p')}, {_ROOM.select('r')} "  # noqa: S608
        f"FROM {Slot._meta.db_table} s "
        f"JOIN {Schedule._meta.db_table} h ON h.id = s.schedule_id "
        f"JOIN {Practitioner._meta.db_table} p ON p.id = s.practitioner_id "
        f"LEFT JOIN {Room._meta.db_table} r ON r.id = s.room_id "
        "WHERE s.practitioner_id = %s AND s.starts_at > %s AND h.facility_id = %s "
        "AND h.is_active = %s AND p.is_active = %s "
        "AND s.booked < s.capacity AND s.blocked_reason = '' "
        f"{'' if emergency else 'AND s.is_emergency = %s '}"
        "ORDER BY s.starts_at, s.practitioner_id LIMIT %s"
    )
    when = connection.ops.adapt_datetimefield_value(start)
    params = [practitioner_id, when, facility.pk, True, True, *([] if emergency else [False])]
    found = []
    for slot, practitioner, room in fetch(sql, [*params, limit], _SLOT, _PRACTITIONER, _ROOM):
        slot.practitioner = practitioner
        slot.room = room if slot.room_id is not None else None
        found.append(slot)
    return found


def appointments(
    *,
    viewer: Any,
    facility: Facility | None,
    patient: uuid.UUID | None = None,
    practitioner: uuid.UUID | None = None,
    date: dt.date | None = None,
    status: str | None = None,
    limit: int = 500,
) -> list[Appointment]:
    """The facility's appointments, by patient, practitioner, day (the facility's) and
    status, in time order; none for a viewer who may not see schedules."""
    if facility is None or not can_view(viewer, facility):
        return []
    found = Appointment.objects.filter(facility=facility)
    if patient is not None:
        found = found.filter(patient__external_id=patient)
    if practitioner is not None:
        found = found.filter(practitioner__external_id=practitioner)
    if date is not None:
        zone = times.zone_of(facility)
        found = found.filter(
            starts_at__gte=times.at(date, dt.time(0), zone),
            starts_at__lt=times.at(date + dt.timedelta(days=1), dt.time(0), zone),
        )
    if status:
        found = found.filter(status=status)
    related = ("patient", "practitioner", "room", "rescheduled_from")
    return list(found.select_related(*related).order_by("starts_at")[:limit])


def can_view(actor: Any, facility: Facility | None) -> bool:
    return policies.has_permission(actor, Perm.VIEW_SCHEDULE, facility)


_RATE_GROUPS = {
    "practitioner": ("practitioner__external_id", "practitioner__family_name"),
    "department": ("practitioner__department__code", "practitioner__department__name"),
    "patient": ("patient__external_id", "patient__mrn"),
    "weekday": ("weekday", "weekday"),
}
_WEEKDAYS = {1: "Sunday", 2: "Monday", 3: "Tuesday", 4: "Wednesday", 5: "Thursday"}
_WEEKDAYS |= {6: "Friday", 7: "Saturday"}


def no_show_rates(
    *,
    viewer: Any,
    facility: Facility | None,
    by: str,
    since: dt.date | None = None,
    until: dt.date | None = None,
) -> list[dict]:
    """How often booked patients did not come, per practitioner, department, patient or
    weekday (the facility's): appointments that reached their time (seen, checked in or
    missed; cancelled ones do not count), the no-shows among them, and the rate. Most
    missed first."""
    if by not in _RATE_GROUPS:
        raise ValueError(f"no-show rates by {by!r}")
    if facility is None or not can_view(viewer, facility):
        return []
    zone = times.zone_of(facility)
    kept = Appointment.objects.filter(
        facility=facility,
        status__in=[
            Appointment.Status.FULFILLED,
            Appointment.Status.ARRIVED,
            Appointment.Status.NOSHOW,
        ],
    )
    if since is not None:
        kept = kept.filter(starts_at__gte=times.at(since, dt.time(0), zone))
    if until is not None:
        kept = kept.filter(starts_at__lt=times.at(until + dt.timedelta(days=1), dt.time(0), zone))
    key, label = _RATE_GROUPS[by]
    if by == "weekday":
        kept = kept.annotate(weekday=ExtractWeekDay("starts_at", tzinfo=zone))
    rows = (
        kept.values(key, label)
        .annotate(
            appointments=Count("id"),
            no_shows=Count("id", filter=Q(status=Appointment.Status.NOSHOW)),
        )
        .order_by()
    )
    found = [
        {
            "key": str(row[key]),
            "label": _WEEKDAYS[row[key]] if by == "weekday" else str(row[label] or ""),
            "appointments": row["appointments"],
            "no_shows": row["no_shows"],
            "rate": round(row["no_shows"] / row["appointments"], 3),
        }
        for row in rows
    ]
    if by == "patient":
        # Grouped values, not patient rows: named for the request's audit read here.
        record_patients_shown(actor=viewer, patient_ids=[r["key"] for r in found], what="no-shows")
    return sorted(found, key=lambda r: (-r["rate"], -r["appointments"], r["label"]))


# A patient who missed at least this many of their last appointments, and this share of
# them, is a chronic no-show: their slots may be double-booked (Schedule.double_book_no_shows).
CHRONIC_NO_SHOWS = 2
CHRONIC_NO_SHOW_RATE = 0.3
NO_SHOW_LOOKBACK = 10


def no_show_history(patient: Any) -> dict:
    """The patient's record of coming to appointments, shown at booking: of their last
    NO_SHOW_LOOKBACK appointments that reached their time, how many were missed, the
    last missed one, and whether that makes them a chronic no-show."""
    recent = list(
        Appointment.objects.filter(
            patient=patient,
            status__in=[
                Appointment.Status.FULFILLED,
                Appointment.Status.ARRIVED,
                Appointment.Status.NOSHOW,
            ],
        )
        .order_by("-starts_at")
        .values_list("status", "starts_at")[:NO_SHOW_LOOKBACK]
    )
    missed = [when for status, when in recent if status == Appointment.Status.NOSHOW]
    return {
        "appointments": len(recent),
        "no_shows": len(missed),
        "last_no_show": missed[0] if missed else None,
        "chronic": len(missed) >= CHRONIC_NO_SHOWS
        and len(missed) / len(recent) >= CHRONIC_NO_SHOW_RATE,
    }


def waitlist(
    *,
    viewer: Any,
    facility: Facility | None,
    status: str | None = None,
    patient: uuid.UUID | None = None,
    practitioner: uuid.UUID | None = None,
    limit: int = 500,
) -> list[WaitlistEntry]:
    """The facility's waitlist, first come first: waiting and offered entries unless a
    status is asked for."""
    if facility is None or not can_view(viewer, facility):
        return []
    found = WaitlistEntry.objects.filter(facility=facility)
    if status:
        found = found.filter(status=status)
    else:
        found = found.filter(
            status__in=[WaitlistEntry.Status.WAITING, WaitlistEntry.Status.OFFERED]
        )
    if patient is not None:
        found = found.filter(patient__external_id=patient)
    if practitioner is not None:
        found = found.filter(practitioner__external_id=practitioner)
    related = ("patient", "practitioner", "specialty", "offered_slot", "appointment")
    return list(found.select_related(*related).order_by("created_at", "id")[:limit])


def schedules(
    *, viewer: Any, facility: Facility | None, practitioner: uuid.UUID | None = None
) -> list[Schedule]:
    """The facility's active weekly sessions, by practitioner, day and time."""
    if facility is None or not can_view(viewer, facility):
        return []
    found = Schedule.objects.filter(facility=facility, is_active=True)
    if practitioner is not None:
        found = found.filter(practitioner__external_id=practitioner)
    return list(found.select_related("practitioner", "room").order_by("weekday", "starts_at"))


def rooms(*, viewer: Any, facility: Facility | None) -> list[Room]:
    if facility is None or not can_view(viewer, facility):
        return []
    return list(Room.objects.filter(facility=facility, is_active=True).select_related("department"))


def today_in_figures(*, facility: Facility, practitioner: Practitioner | None = None) -> dict:
    """The facility's day so far, for the home page: appointments still to arrive,
    tickets waiting (for `practitioner` or anyone, when given) and called. Counts only:
    no patient is named."""
    zone = times.zone_of(facility)
    today = timezone.localdate(timezone=zone)
    start = times.at(today, dt.time(), zone)
    to_arrive = Appointment.objects.filter(
        facility=facility,
        status=Appointment.Status.BOOKED,
        starts_at__gte=start,
        starts_at__lt=start + dt.timedelta(days=1),
    ).count()
    tickets = QueueTicket.objects.filter(facility=facility, day=today)
    if practitioner is not None:
        tickets = tickets.filter(Q(practitioner=practitioner) | Q(practitioner__isnull=True))
    counts = tickets.aggregate(
        waiting=Count("id", filter=Q(status=QueueTicket.Status.WAITING)),
        called=Count("id", filter=Q(status=QueueTicket.Status.CALLED)),
    )
    return {"to_arrive": to_arrive, **counts}
