"""What the scheduling pages read beside the shared selectors: a day's slots and
appointments for a doctor, a department or a room, a week's counts, today's queue,
and the defaults the front desk starts from (its department, a doctor's room)."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass
from typing import Any

from django.db.models import Count, F, Q, Sum
from django.db.models.functions import TruncDate
from django.utils import timezone

from hms.core import context
from hms.core.models import Department, Facility
from hms.scheduling import times
from hms.scheduling.models import Appointment, AppointmentKind, QueueTicket, Room, Slot
from hms.staff.models import Practitioner

# The departments a patient can queue in at the front desk.
QUEUE_KINDS = (Department.Kind.OUTPATIENT, Department.Kind.EMERGENCY)
# Patient columns a schedule shows; the encrypted contact details stay unread.
PATIENT_COLUMNS = ("patient__external_id", "patient__mrn", "patient__given_name")
PATIENT_COLUMNS += ("patient__middle_name", "patient__family_name", "patient__status")


@dataclass(frozen=True)
class Scope:
    """Whose schedule a page shows: one doctor, a department's doctors, or a room."""

    kind: str  # "doctor", "department", "room"
    key: str  # what the URL carries: the doctor's external id or a code
    label: str
    practitioner_ids: tuple[int, ...] = ()
    room_id: int | None = None
    department: Department | None = None

    @property
    def value(self) -> str:
        return f"{self.kind}:{self.key}"

    def filter(self) -> Q:
        if self.room_id is not None:
            return Q(room_id=self.room_id)
        return Q(practitioner_id__in=self.practitioner_ids)


def doctor_scope(practitioner: Practitioner) -> Scope:
    return Scope(
        "doctor",
        str(practitioner.external_id),
        practitioner.display_name,
        (practitioner.pk,),
        department=practitioner.department,
    )


def department_scope(department: Department) -> Scope:
    ids = Practitioner.objects.filter(
        facility_id=department.facility_id, department=department
    ).values_list("pk", flat=True)
    return Scope("department", department.code, department.name, tuple(ids), department=department)


def room_scope(room: Room) -> Scope:
    return Scope("room", room.code, room.name, room_id=room.pk, department=room.department)


def day_bounds(facility: Facility, first: dt.date, days: int = 1) -> tuple[dt.datetime, ...]:
    zone = times.zone_of(facility)
    return times.at(first, dt.time(0), zone), times.at(
        first + dt.timedelta(days=days), dt.time(0), zone
    )


KIND_LABELS = dict(AppointmentKind.choices)
STATUS_LABELS = dict(Appointment.Status.choices)


@dataclass(slots=True)
class SlotRow:
    """One slot of a day view, its appointments as plain dicts: a department's day is
    hundreds of rows, so the page reads columns, not model instances."""

    time: str
    room: str
    state: str  # "" (bookable), "emergency" or the reason it is blocked
    appointments: list[dict]


@dataclass
class DoctorDay:
    practitioner: Practitioner
    rows: list[SlotRow]

    @property
    def booked(self) -> int:
        return sum(len(r.appointments) for r in self.rows)


_SLOT_COLUMNS = ("pk", "practitioner_id", "room_id", "starts_at", "blocked_reason", "is_emergency")
_APPOINTMENT_COLUMNS = (
    "slot_id", "external_id", "kind", "status", "patient__external_id", "patient__mrn",
    "patient__given_name", "patient__middle_name", "patient__family_name",
    "ticket__id", "ticket__number", "ticket__department__code",
)  # fmt: skip


def day_schedule(facility: Facility, scope: Scope, day: dt.date) -> list[DoctorDay]:
    """The day's slots of the scope, each with its appointments (cancelled ones left
    out), grouped by doctor. Four queries whatever the size of the department."""
    zone = times.zone_of(facility)
    start, end = day_bounds(facility, day)
    slots = list(
        Slot.objects.filter(scope.filter(), starts_at__gte=start, starts_at__lt=end)
        .filter(practitioner__facility=facility)
        .order_by("practitioner__family_name", "practitioner_id", "starts_at")
        .values_list(*_SLOT_COLUMNS)
    )
    booked = defaultdict(list)
    for row in _appointment_rows(facility, scope, start, end):
        booked[row["slot"]].append(row)
    rooms = dict(Room.objects.filter(facility=facility).values_list("pk", "name"))
    doctors = Practitioner.objects.in_bulk({s[1] for s in slots})
    days: dict[int, DoctorDay] = {}
    for pk, doctor, room, starts_at, blocked, emergency in slots:
        state = blocked or ("emergency" if emergency else "")
        row = SlotRow(
            f"{starts_at.astimezone(zone):%H:%M}", rooms.get(room, ""), state, booked.get(pk, [])
        )
        days.setdefault(doctor, DoctorDay(doctors[doctor], [])).rows.append(row)
    return list(days.values())


def _appointment_rows(facility: Facility, scope: Scope, start, end) -> list[dict]:
    found = (
        Appointment.objects.filter(
            scope.filter(), facility=facility, starts_at__gte=start, starts_at__lt=end
        )
        .exclude(status=Appointment.Status.CANCELLED)
        .order_by("starts_at", "id")
        .values_list(*_APPOINTMENT_COLUMNS)
    )
    rows = []
    for slot, key, kind, status, patient, mrn, given, middle, family, ticket, number, dept in found:
        rows.append(
            {
                "slot": slot,
                "id": key,
                "kind": KIND_LABELS.get(kind, kind),
                "status": status,
                "status_label": STATUS_LABELS.get(status, status),
                "patient": patient,
                "mrn": mrn,
                "name": " ".join(p for p in (given, middle, family) if p),
                "ticket": ticket,
                "ticket_label": f"{dept}-{number:03d}" if ticket else "",
            }
        )
    # Read as plain values, not patient rows: named for the request's audit read here.
    context.note_patients_shown([r["patient"] for r in rows], what="day view")
    return rows


def booked_between(facility: Facility, scope: Scope, start, end) -> list[Appointment]:
    """Appointments not cancelled, with their patient's name and MRN and the ticket
    of those checked in."""
    return list(
        Appointment.objects.filter(
            scope.filter(), facility=facility, starts_at__gte=start, starts_at__lt=end
        )
        .exclude(status=Appointment.Status.CANCELLED)
        .select_related("patient", "ticket__department")
        .only(
            "external_id", "slot_id", "starts_at", "kind", "status", "reason",
            "practitioner_id", "room_id", *PATIENT_COLUMNS,
            "ticket__id", "ticket__number", "ticket__department__code",
        )
        .order_by("starts_at", "id")
    )  # fmt: skip


@dataclass
class WeekRow:
    label: str
    show: str  # the scope value of this row's day view
    days: list[dict]


def week_summary(facility: Facility, scope: Scope, first: dt.date) -> list[WeekRow]:
    """Per doctor and day of the week from `first`: slots, booked places and free
    places (not counting those held for emergencies). Counted by the database, per
    doctor and the facility's day."""
    zone = times.zone_of(facility)
    start, end = day_bounds(facility, first, 7)
    bookable = Q(blocked_reason="", is_emergency=False)
    counted = (
        Slot.objects.filter(scope.filter(), starts_at__gte=start, starts_at__lt=end)
        .filter(practitioner__facility=facility)
        .annotate(day=TruncDate("starts_at", tzinfo=zone))
        .values_list("practitioner_id", "day")
        .annotate(
            n_slots=Count("pk"),
            n_booked=Sum("booked"),
            n_free=Sum(F("capacity") - F("booked"), filter=bookable),
        )
        .order_by()
    )
    counts = {
        (doctor, day): {"slots": n, "booked": b or 0, "free": f or 0}
        for doctor, day, n, b, f in counted
    }
    doctors = Practitioner.objects.in_bulk({doctor for doctor, _ in counts})
    ordered = sorted(doctors.values(), key=lambda p: (p.family_name, p.pk))
    dates = [first + dt.timedelta(days=n) for n in range(7)]
    empty = {"slots": 0, "booked": 0, "free": 0}
    return [
        WeekRow(
            p.display_name,
            f"doctor:{p.external_id}",
            [{"date": d, **counts.get((p.pk, d), empty)} for d in dates],
        )
        for p in ordered
    ]


def week_appointments(facility: Facility, scope: Scope, first: dt.date) -> list[list]:
    """One doctor's or one room's appointments of the week from `first`, per day."""
    zone = times.zone_of(facility)
    start, end = day_bounds(facility, first, 7)
    by_day: dict[dt.date, list] = defaultdict(list)
    for appointment in booked_between(facility, scope, start, end):
        by_day[timezone.localtime(appointment.starts_at, zone).date()].append(appointment)
    return [
        [first + dt.timedelta(days=n), by_day.get(first + dt.timedelta(days=n), [])]
        for n in range(7)
    ]


def queue_departments(facility: Facility) -> list[Department]:
    return list(
        Department.objects.filter(facility=facility, is_active=True, kind__in=QUEUE_KINDS).order_by(
            "pk"
        )
    )


def own_practitioner(user: Any, facility: Facility | None) -> Practitioner | None:
    """The practitioner record of the signed-in user at this facility, if any."""
    if facility is None or not getattr(user, "is_authenticated", False):
        return None
    return (
        Practitioner.objects.filter(user=user, facility=facility, is_active=True)
        .select_related("department")
        .first()
    )


def default_department(
    facility: Facility, remembered: str, practitioner: Practitioner | None
) -> Department | None:
    """The department the desk works for: the one it chose last (kept in the session),
    else the signed-in practitioner's, else the facility's first outpatient clinic."""
    departments = queue_departments(facility)
    for department in departments:
        if department.code == remembered:
            return department
    if practitioner is not None and practitioner.department in departments:
        return practitioner.department
    return departments[0] if departments else None


def room_today(practitioner: Practitioner) -> str:
    """Where the practitioner sees patients now: the room of today's session nearest to
    this moment, for the waiting-room screen's "go to"."""
    now = timezone.now()
    start, end = day_bounds(
        practitioner.facility, timezone.localdate(timezone=times.zone_of(practitioner.facility))
    )
    slots = Slot.objects.filter(
        practitioner=practitioner, starts_at__gte=start, starts_at__lt=end, room__isnull=False
    ).select_related("room")
    current = slots.filter(ends_at__gt=now).order_by("starts_at").first()
    current = current or slots.order_by("-starts_at").first()
    return current.room.name if current else ""


def todays_tickets(department: Department) -> list[QueueTicket]:
    today = timezone.localdate(timezone=times.zone_of(department.facility))
    return list(
        QueueTicket.objects.filter(department=department, day=today)
        .select_related("department", "practitioner", "encounter__patient", "called_by")
        .defer(
            "encounter__patient__phone", "encounter__patient__email", "encounter__patient__address"
        )
        .order_by("-priority", "issued_at", "id")
    )


def waiting_ahead(ticket: QueueTicket) -> int:
    """How many tickets of the department will be called before this one, as far as
    can be told now (higher priority, or the same and issued earlier)."""
    if ticket.status != QueueTicket.Status.WAITING:
        return 0
    return (
        QueueTicket.objects.filter(
            department_id=ticket.department_id, day=ticket.day, status=QueueTicket.Status.WAITING
        )
        .filter(
            Q(priority__gt=ticket.priority)
            | Q(priority=ticket.priority, issued_at__lt=ticket.issued_at)
        )
        .count()
    )


def has_been_seen(patient: Any) -> bool:
    """Whether the patient has come to an appointment here before: a new booking is
    then a follow-up."""
    return Appointment.objects.filter(
        patient=patient, status__in=[Appointment.Status.FULFILLED, Appointment.Status.ARRIVED]
    ).exists()


def last_practitioner(patient: Any) -> Practitioner | None:
    """The doctor of the patient's latest appointment that was not cancelled."""
    last = (
        Appointment.objects.filter(patient=patient, practitioner__is_active=True)
        .exclude(status=Appointment.Status.CANCELLED)
        .select_related("practitioner")
        .order_by("-starts_at")
        .first()
    )
    return last.practitioner if last else None


def doctors_and_rooms(facility: Facility) -> tuple[list[Practitioner], list[Room]]:
    doctors = list(
        Practitioner.objects.filter(facility=facility, is_active=True)
        .annotate(sessions=Count("schedules"))
        .filter(sessions__gt=0)
        .only("external_id", "title", "given_name", "family_name")
        .order_by("family_name", "given_name")
    )
    rooms = list(Room.objects.filter(facility=facility, is_active=True).order_by("code"))
    return doctors, rooms
