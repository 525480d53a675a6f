"""Every write to schedules, blocks and appointments: one transaction each, audited;
bookings and cancellations land on the patient's timeline."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from django.db.models import F, Q
from django.utils import timezone

from hms.accounts import policies
from hms.accounts.permissions import Perm
from hms.audit.services import Action, record_event
from hms.core.bulk import insert_one
from hms.core.errors import Conflict, InvalidInput, NotFound, NotPermitted
from hms.core.models import Facility, author
from hms.core.text import reason_text
from hms.patients.models import Patient, TimelineEntry
from hms.patients.policies import check_patient_permission
from hms.patients.services import add_timeline_entry
from hms.scheduling import reminders, selectors, times, waitlist
from hms.scheduling.errors import SchedulingErrorCode as Code
from hms.scheduling.errors import SlotTaken
from hms.scheduling.models import (
    Appointment,
    AppointmentKind,
    Room,
    Schedule,
    ScheduleBlock,
    Slot,
)
from hms.staff.models import Practitioner

# Slots exist this far ahead; a daily task carries the horizon forward.
HORIZON_DAYS = 90
MAX_CAPACITY = 50


def add_schedule(
    *,
    actor: Any,
    practitioner: Practitioner,
    weekday: int,
    starts_at: dt.time,
    ends_at: dt.time,
    slot_minutes: int,
    valid_from: dt.date,
    valid_until: dt.date | None = None,
    room: Room | None = None,
    kind: str = AppointmentKind.NEW,
    capacity: int = 1,
    emergency_slots: int = 0,
    breaks: Sequence[tuple[dt.time, dt.time]] = (),
    double_book_no_shows: bool = False,
) -> Schedule:
    """Add a weekly session for `practitioner` and create its slots up to the horizon.

    Requires MANAGE_SCHEDULES. Raises InvalidInput naming the field for an impossible
    session, and Conflict (SCHEDULE_OVERLAP) when the practitioner or the room already
    has a session overlapping it. The practitioner's row (and the room's) is locked
    while the overlap is checked, so two such sessions cannot be added at once.
    """
    facility = practitioner.facility
    policies.check_permission(actor, Perm.MANAGE_SCHEDULES, facility)
    _check_session(
        weekday, starts_at, ends_at, slot_minutes, valid_from, valid_until, kind, capacity, breaks
    )
    if room is not None and room.facility_id != facility.pk:
        raise InvalidInput("That room belongs to another facility.", field="room")
    if not practitioner.is_active:
        raise InvalidInput("That practitioner is no longer active.", field="practitioner")
    sessions = _slot_count(starts_at, ends_at, slot_minutes, breaks)
    if emergency_slots < 0 or emergency_slots >= sessions:
        raise InvalidInput(
            f"Keep between 0 and {sessions - 1} of the session's {sessions} slots for emergencies.",
            field="emergency_slots",
        )
    with transaction.atomic():
        Practitioner.objects.select_for_update().filter(pk=practitioner.pk).first()
        if room is not None:
            Room.objects.select_for_update().filter(pk=room.pk).first()
        _check_overlap(practitioner, room, weekday, starts_at, ends_at, valid_from, valid_until)
        schedule = Schedule.objects.create(
            facility=facility,
            practitioner=practitioner,
            room=room,
            kind=kind,
            weekday=weekday,
            starts_at=starts_at,
            ends_at=ends_at,
            slot_minutes=slot_minutes,
            capacity=capacity,
            emergency_slots=emergency_slots,
            double_book_no_shows=double_book_no_shows,
            breaks=[[b[0].strftime("%H:%M"), b[1].strftime("%H:%M")] for b in breaks],
            valid_from=valid_from,
            valid_until=valid_until,
            created_by=author(actor),
            updated_by=author(actor),
        )
        today = timezone.localdate(timezone=times.zone_of(facility))
        materialise(schedule, until=today + dt.timedelta(days=HORIZON_DAYS))
        record_event(action=Action.CREATE, actor=actor, obj=schedule)
    return schedule


def add_room(*, actor: Any, facility: Facility, code: str, name: str, department=None) -> Room:
    """Add a consulting room (or another bookable place). Requires MANAGE_SCHEDULES;
    Conflict when the facility has a room of that code."""
    policies.check_permission(actor, Perm.MANAGE_SCHEDULES, facility)
    name = reason_text(name, "name", required=True, limit=120)
    room = Room(facility=facility, department=department, code=code, name=name)
    room.created_by = room.updated_by = author(actor)
    try:
        room.full_clean(exclude=["facility", "department", "created_by", "updated_by"])
    except ValidationError as exc:
        field, messages = next(iter(exc.message_dict.items()))
        raise InvalidInput(messages[0], field=field) from exc
    with transaction.atomic():
        if Room.objects.filter(facility=facility, code=code).exists():
            raise Conflict(f"Room {code} exists already.", field="code")
        room.save()
        record_event(action=Action.CREATE, actor=actor, obj=room)
    return room


def extend_horizons(*, today: dt.date | None = None) -> int:
    """Carry every active schedule's slots forward to HORIZON_DAYS from today; run
    daily. Returns how many slots it created."""
    created = 0
    for schedule in Schedule.objects.filter(is_active=True).select_related("facility"):
        local = today or timezone.localdate(timezone=times.zone_of(schedule.facility))
        if schedule.valid_until is not None and schedule.valid_until < local:
            continue
        with transaction.atomic():
            created += materialise(schedule, until=local + dt.timedelta(days=HORIZON_DAYS))
    return created


def _check_session(
    weekday, starts_at, ends_at, slot_minutes, valid_from, valid_until, kind, capacity, breaks
) -> None:
    if weekday not in Schedule.Weekday.values:
        raise InvalidInput("Choose a day of the week (0 = Monday ... 6 = Sunday).", field="weekday")
    if ends_at <= starts_at:
        raise InvalidInput("The session must end after it starts.", field="ends_at")
    if not isinstance(slot_minutes, int) or not 1 <= slot_minutes <= 480:
        raise InvalidInput("A slot lasts from 1 to 480 minutes.", field="slot_minutes")
    if _minutes(ends_at) - _minutes(starts_at) < slot_minutes:
        raise InvalidInput("The session is shorter than one slot.", field="slot_minutes")
    if valid_until is not None and valid_until < valid_from:
        raise InvalidInput("The last day comes before the first.", field="valid_until")
    if kind not in AppointmentKind.values:
        raise InvalidInput(f"Unknown appointment type {kind!r}.", field="kind")
    if not isinstance(capacity, int) or not 1 <= capacity <= MAX_CAPACITY:
        raise InvalidInput(f"Between 1 and {MAX_CAPACITY} patients per slot.", field="capacity")
    for start, end in breaks:
        if not (starts_at <= start < end <= ends_at):
            raise InvalidInput(
                "Each break must start before it ends, inside the session.", field="breaks"
            )


def _minutes(time: dt.time) -> int:
    return time.hour * 60 + time.minute


def _slot_count(starts_at, ends_at, slot_minutes, breaks) -> int:
    day = dt.date(2001, 1, 1)  # any day without a clock change
    return len(_intervals(day, starts_at, ends_at, slot_minutes, breaks, dt.UTC))


def _check_overlap(practitioner, room, weekday, starts_at, ends_at, valid_from, valid_until):
    clash = Q(practitioner=practitioner)
    if room is not None:
        clash |= Q(room=room)
    overlapping = Schedule.objects.filter(
        clash,
        is_active=True,
        weekday=weekday,
        starts_at__lt=ends_at,
        ends_at__gt=starts_at,
    ).filter(Q(valid_until__isnull=True) | Q(valid_until__gte=valid_from))
    if valid_until is not None:
        overlapping = overlapping.filter(valid_from__lte=valid_until)
    other = overlapping.select_related("practitioner", "room").first()
    if other is not None:
        whose = "The practitioner" if other.practitioner_id == practitioner.pk else "The room"
        raise Conflict(
            f"{whose} already has a session then: {other}.",
            code=Code.SCHEDULE_OVERLAP,
            field="starts_at",
        )


def _intervals(day, starts_at, ends_at, slot_minutes, breaks, zone) -> list[tuple]:
    """The slots of one session on `day` as (start, end) instants, breaks left out.
    Stepped in real time, so a session across a clock change keeps its true length."""
    start, end = times.at(day, starts_at, zone), times.at(day, ends_at, zone)
    pauses = [(times.at(day, b0, zone), times.at(day, b1, zone)) for b0, b1 in breaks]
    step = dt.timedelta(minutes=slot_minutes)
    found = []
    while start + step <= end:
        if not any(b0 < start + step and start < b1 for b0, b1 in pauses):
            found.append((start, start + step))
        start += step
    return found


def _parse_breaks(schedule: Schedule) -> list[tuple[dt.time, dt.time]]:
    return [(dt.time.fromisoformat(a), dt.time.fromisoformat(b)) for a, b in schedule.breaks]


def materialise(schedule: Schedule, *, until: dt.date) -> int:
    """Create the schedule's slots from today (or its first day) to `until`; those that
    exist stay as they are, so running it again only adds the new days. Returns how
    many it created."""
    zone = times.zone_of(schedule.facility)
    first = max(schedule.valid_from, timezone.localdate(timezone=zone))
    last = min(schedule.valid_until or until, until)
    breaks = _parse_breaks(schedule)
    blocks = _blocks_for(schedule, first, last)
    # The session's slots already there: a run that only carries the horizon a few days
    # on builds and sends just those days' slots, where building every slot of ninety
    # days for the database to skip took seconds of CPU. (A time another session of the
    # practitioner holds is still left to ignore_conflicts.)
    existing = set(
        Slot.objects.filter(
            schedule=schedule,
            starts_at__gte=times.at(first, dt.time(0), zone),
            starts_at__lt=times.at(last + dt.timedelta(days=1), dt.time(0), zone),
        ).values_list("starts_at", flat=True)
    )
    rows = []
    day = first + dt.timedelta(days=(schedule.weekday - first.weekday()) % 7)
    while day <= last:
        found = _intervals(
            day, schedule.starts_at, schedule.ends_at, schedule.slot_minutes, breaks, zone
        )
        held_from = len(found) - schedule.emergency_slots
        for number, (start, end) in enumerate(found):
            if start in existing:
                continue
            rows.append(
                Slot(
                    schedule=schedule,
                    practitioner_id=schedule.practitioner_id,
                    room_id=schedule.room_id,
                    starts_at=start,
                    ends_at=end,
                    capacity=schedule.capacity,
                    is_emergency=number >= held_from,
                    blocked_reason=_block_reason(blocks, start, end),
                )
            )
        day += dt.timedelta(days=7)
    if not rows:
        return 0
    before = Slot.objects.filter(schedule=schedule).count()
    Slot.objects.bulk_create(rows, ignore_conflicts=True, batch_size=500)
    return Slot.objects.filter(schedule=schedule).count() - before


def _blocks_for(schedule: Schedule, first: dt.date, last: dt.date) -> list[ScheduleBlock]:
    zone = times.zone_of(schedule.facility)
    whom = Q(practitioner_id=schedule.practitioner_id) | Q(
        practitioner__isnull=True, room__isnull=True
    )
    if schedule.room_id:
        whom |= Q(room_id=schedule.room_id)
    return list(
        ScheduleBlock.objects.filter(
            whom,
            facility_id=schedule.facility_id,
            starts_at__lt=times.at(last + dt.timedelta(days=1), dt.time(0), zone),
            ends_at__gt=times.at(first, dt.time(0), zone),
        )
    )


def _block_reason(blocks: list[ScheduleBlock], start, end) -> str:
    for block in blocks:
        if block.starts_at < end and start < block.ends_at:
            return f"{block.get_kind_display()}: {block.reason}"[:300]
    return ""


def add_block(
    *,
    actor: Any,
    facility: Facility,
    kind: str,
    starts_at: dt.datetime,
    ends_at: dt.datetime,
    reason: str,
    practitioner: Practitioner | None = None,
    room: Room | None = None,
) -> tuple[ScheduleBlock, list[Appointment]]:
    """Take time away from a practitioner, a room, or (neither given: a public holiday)
    the whole facility. Its slots stop being offered; the appointments already booked
    in it are returned for the clinic to move, not cancelled behind anyone's back.
    Requires MANAGE_SCHEDULES."""
    policies.check_permission(actor, Perm.MANAGE_SCHEDULES, facility)
    if kind not in ScheduleBlock.Kind.values:
        raise InvalidInput(f"Unknown kind of block {kind!r}.", field="kind")
    if timezone.is_naive(starts_at) or timezone.is_naive(ends_at):
        raise InvalidInput("Give times with their time zone.", field="starts_at")
    if ends_at <= starts_at:
        raise InvalidInput("The block must end after it starts.", field="ends_at")
    reason = reason_text(reason, "reason", required=True)
    for name, item in (("practitioner", practitioner), ("room", room)):
        if item is not None and item.facility_id != facility.pk:
            raise InvalidInput(f"That {name} belongs to another facility.", field=name)
    with transaction.atomic():
        block = ScheduleBlock.objects.create(
            facility=facility,
            practitioner=practitioner,
            room=room,
            kind=kind,
            starts_at=starts_at,
            ends_at=ends_at,
            reason=reason,
            created_by=author(actor),
            updated_by=author(actor),
        )
        slots = Slot.objects.filter(
            schedule__facility=facility, starts_at__lt=ends_at, ends_at__gt=starts_at
        )
        if practitioner is not None:
            slots = slots.filter(practitioner=practitioner)
        if room is not None:
            slots = slots.filter(room=room)
        slots.filter(blocked_reason="").update(
            blocked_reason=f"{block.get_kind_display()}: {reason}"[:300]
        )
        affected = list(
            Appointment.objects.filter(slot__in=slots, status=Appointment.Status.BOOKED)
            .select_related("patient", "practitioner")
            .order_by("starts_at")
        )
        record_event(action=Action.CREATE, actor=actor, obj=block, reason=reason)
    return block, affected


def book_appointment(
    *,
    actor: Any,
    patient: Patient,
    slot: Slot,
    kind: str | None = None,
    reason: str = "",
) -> Appointment:
    """Book `patient` into `slot`.

    Requires BOOK_APPOINTMENT (and BOOK_EMERGENCY_SLOT for a slot held for emergencies).
    The slot's count goes up by one in a single conditional update (`booked <
    capacity`), which the database serialises: of two clerks racing for the last place
    one wins and the other gets SlotTaken (409) with the next free slots. Refuses a slot
    that has started, a blocked one, and a patient who is merged away or deceased.
    """
    check_patient_permission(actor, Perm.BOOK_APPOINTMENT, patient)
    reason = reason_text(reason, "reason")
    with transaction.atomic():
        appointment = _book(actor, patient, slot, kind, reason)
        reminders.plan_for_booking(appointment)
        record_event(
            action=Action.CREATE,
            actor=actor,
            obj=appointment,
            patient_id=str(patient.external_id),
        )
    return appointment


def _book(actor, patient: Patient, slot: Slot, kind: str | None, reason: str) -> Appointment:
    schedule = slot.schedule
    if schedule.facility_id != patient.facility_id:
        raise NotFound("No such slot.")
    if not patient.is_active:
        raise InvalidInput(
            "This record was merged or entered in error; book the surviving record.",
            code=Code.PATIENT_NOT_BOOKABLE,
            field="patient",
        )
    if patient.is_deceased:
        raise InvalidInput(
            "The patient is recorded as deceased.", code=Code.PATIENT_NOT_BOOKABLE, field="patient"
        )
    if slot.starts_at <= timezone.now():
        raise InvalidInput("That slot has already started.", code=Code.SLOT_IN_PAST, field="slot")
    if kind is not None and kind not in AppointmentKind.values:
        raise InvalidInput(f"Unknown appointment type {kind!r}.", field="kind")
    if slot.is_emergency and not policies.has_permission(
        actor, Perm.BOOK_EMERGENCY_SLOT, patient.facility
    ):
        raise NotPermitted("That slot is held for emergencies.", code=Code.EMERGENCY_SLOT)
    adds_place = schedule.double_book_no_shows and selectors.no_show_history(patient)["chronic"]
    if not _take_place(slot, grow=adds_place):
        slot.blocked_reason = _blocked_reason(slot)
        if slot.blocked_reason:
            raise Conflict(
                f"That slot is blocked ({slot.blocked_reason}).",
                code=Code.SLOT_BLOCKED,
                field="slot",
            )
        raise SlotTaken(
            selectors.next_free_slots(
                facility=patient.facility,
                practitioner_id=slot.practitioner_id,
                after=slot.starts_at - dt.timedelta(seconds=1),
            )
        )
    # No savepoint: the patient already booked in this slot fails the whole booking
    # (the Conflict leaves book_appointment's atomic block, which rolls back), so one
    # would only cost two round trips on every booking.
    appointment = Appointment(
        facility=patient.facility,
        patient=patient,
        slot=slot,
        # The slot's own, loaded with it: the answer shows them.
        practitioner=slot.practitioner,
        room=slot.room,
        starts_at=slot.starts_at,
        ends_at=slot.ends_at,
        kind=kind or schedule.kind,
        reason=reason,
        adds_place=adds_place,
        created_by=author(actor),
        updated_by=author(actor),
    )
    try:
        insert_one(appointment)  # one plain INSERT: every booking writes one
    except IntegrityError as exc:
        raise Conflict(
            "The patient is already booked in this slot.", code=Code.SLOT_TAKEN, field="slot"
        ) from exc
    add_timeline_entry(
        patient=patient,
        kind=TimelineEntry.Kind.APPOINTMENT,
        summary=f"Appointment booked: {_when(appointment)} with {slot.practitioner}",
        actor=actor,
        detail={"appointment": str(appointment.external_id), "status": "booked"},
        source=f"appointment:{appointment.external_id}:booked",
    )
    return appointment


def _take_place(slot: Slot, *, grow: bool) -> bool:
    """Count one more booking in the slot if it has a free place and is not blocked: one
    conditional update, which the database serialises, so of two clerks racing for the
    last place one wins. `grow` adds the place the booking takes (a patient who often
    misses is booked over the count). Plain SQL: every booking runs it."""
    table = connection.ops.quote_name(Slot._meta.db_table)
    more = ", capacity = capacity + 1" if grow else ""
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {table} SET booked = booked + 1{more} "  # noqa: S608
            "WHERE id = %s AND booked < capacity AND blocked_reason = ''",
            [slot.pk],
        )
        return cursor.rowcount == 1


def _blocked_reason(slot: Slot) -> str:
    """Why the slot is blocked, as it stands now ("" when it is not)."""
    table = connection.ops.quote_name(Slot._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT blocked_reason FROM {table} WHERE id = %s", [slot.pk])  # noqa: S608
        return cursor.fetchone()[0]


def cancel_appointment(*, actor: Any, appointment: Appointment, reason: str) -> Appointment:
    """Cancel a booked appointment with a reason and free its place in the slot.

    Requires BOOK_APPOINTMENT. Only a booked appointment can be cancelled: one checked
    in, seen, missed or already cancelled answers Conflict (CANNOT_CANCEL).
    """
    check_patient_permission(actor, Perm.BOOK_APPOINTMENT, appointment.patient)
    reason = reason_text(reason, "reason", required=True)
    with transaction.atomic():
        cancelled = _cancel(actor, appointment, reason)
        reminders.plan_for_cancellation(appointment)
        record_event(
            action=Action.UPDATE,
            actor=actor,
            obj=cancelled,
            patient_id=str(appointment.patient.external_id),
            reason=f"Cancelled: {reason}"[:500],
        )
    return cancelled


def _cancel(actor, appointment: Appointment, reason: str) -> Appointment:
    locked = Appointment.objects.select_for_update().get(pk=appointment.pk)
    if locked.status != Appointment.Status.BOOKED:
        raise Conflict(
            f"An appointment that is {locked.get_status_display().lower()} cannot be cancelled.",
            code=Code.CANNOT_CANCEL,
            field="status",
        )
    locked.status = Appointment.Status.CANCELLED
    locked.cancel_reason = reason
    locked.cancelled_at = timezone.now()
    locked.updated_by = author(actor)
    locked.save(
        update_fields=["status", "cancel_reason", "cancelled_at", "updated_by", "updated_at"]
    )
    shrink = {"capacity": F("capacity") - 1} if locked.adds_place else {}
    Slot.objects.filter(pk=locked.slot_id, booked__gt=0).update(booked=F("booked") - 1, **shrink)
    add_timeline_entry(
        patient=appointment.patient,
        kind=TimelineEntry.Kind.APPOINTMENT,
        summary=f"Appointment cancelled: {_when(locked)}",
        actor=actor,
        detail={"appointment": str(locked.external_id), "status": "cancelled"},
        source=f"appointment:{locked.external_id}:cancelled",
    )
    waitlist.offer_freed_slot(locked.slot_id, actor=actor)
    return locked


def reschedule_appointment(
    *, actor: Any, appointment: Appointment, slot: Slot, reason: str = ""
) -> Appointment:
    """Move a booked appointment to `slot`: the new booking and the cancellation of the
    old one happen together or not at all. Returns the new appointment."""
    check_patient_permission(actor, Perm.BOOK_APPOINTMENT, appointment.patient)
    reason = reason_text(reason, "reason")
    with transaction.atomic():
        old = _cancel(actor, appointment, f"Rescheduled. {reason}".strip())
        new = _book(actor, appointment.patient, slot, old.kind, old.reason)
        new.rescheduled_from = old
        new.save(update_fields=["rescheduled_from"])
        reminders.plan_for_reschedule(old=appointment, new=new)
        record_event(
            action=Action.UPDATE,
            actor=actor,
            obj=new,
            patient_id=str(appointment.patient.external_id),
            reason=f"Rescheduled from {old.external_id}. {reason}"[:500],
        )
    return new


def _when(appointment: Appointment) -> str:
    local = timezone.localtime(appointment.starts_at, times.zone_of(appointment.facility))
    return f"{local:%a %d %b %Y %H:%M}"


# An appointment not checked in this long after its start is a no-show.
NO_SHOW_GRACE = dt.timedelta(minutes=60)


def mark_no_shows(*, now: dt.datetime | None = None, grace: dt.timedelta = NO_SHOW_GRACE) -> int:
    """Mark booked appointments whose start is more than `grace` ago as no-shows, put
    "did not attend" on each patient's timeline, and return how many. Safe to run from
    several workers at once: each appointment is claimed by one conditional update."""
    cutoff = (now or timezone.now()) - grace
    due = Appointment.objects.filter(status=Appointment.Status.BOOKED, starts_at__lt=cutoff)
    marked = 0
    for appointment in due.select_related("patient", "practitioner", "facility").iterator():
        with transaction.atomic():
            claimed = Appointment.objects.filter(
                pk=appointment.pk, status=Appointment.Status.BOOKED
            ).update(status=Appointment.Status.NOSHOW, updated_at=timezone.now())
            if not claimed:
                continue  # checked in or marked meanwhile
            add_timeline_entry(
                patient=appointment.patient,
                kind=TimelineEntry.Kind.APPOINTMENT,
                summary=f"Did not attend: {_when(appointment)} with {appointment.practitioner}",
                detail={"appointment": str(appointment.external_id), "status": "noshow"},
                source=f"appointment:{appointment.external_id}:noshow",
            )
            record_event(
                action=Action.UPDATE,
                obj=appointment,
                username="no-show check",
                patient_id=str(appointment.patient.external_id),
                reason="No-show: not checked in by the grace period",
            )
            marked += 1
    return marked
