"""What appointment messages say and when they go: a confirmation at booking, reminders
before the start (HMS_REMINDER_HOURS, 24 and 2 by default), a notice when it is
cancelled or moved, and the offer of a freed slot to a patient on the waitlist.

The booking services call these inside their transactions; each call is one insert into
the patients' outbox (hms.patients.messaging), which honours consent and quiet hours and
is sent by the worker.

A message says when, where, with whom and a reference: never why. HIPAA's minimum
necessary rule (45 CFR 164.502(b)) and the fact that an SMS or email may be read by
someone else: the appointment's reason, diagnoses, the practitioner's specialty and the
department (whose name, "Oncology", "HIV clinic", may itself disclose a condition) are
left out. The place is the room's name; name rooms by where they are.

Quiet hours: a reminder due in them is held to their end; when the appointment starts
before then, it goes in the last minute before they began, or (that being past) not at
all. A reminder that would land less than an hour after the message before it (the
confirmation, or the day-before reminder) is dropped as a repeat. A cancellation or a
move that cannot wait for the morning goes at once, quiet hours or not: the patient
must not set out for nothing.
"""

from __future__ import annotations

import datetime as dt
import zoneinfo
from dataclasses import dataclass

from django.conf import settings
from django.utils import timezone

from hms.patients import messaging
from hms.patients.models import Patient
from hms.scheduling.models import Appointment, AppointmentKind, Slot

# A reminder this close after the message before it is a repeat.
MIN_GAP = dt.timedelta(hours=1)


@dataclass(frozen=True)
class _Visit:
    """The facts a message may carry."""

    facility: str
    phone: str
    when: str  # "Tue 12 May 2026 at 08:00", the facility's time
    short_when: str  # "Tue 12 May 08:00"
    practitioner: str
    place: str
    by_phone: bool


def reference_of(appointment: Appointment) -> str:
    """The reference a patient quotes: the first 8 of the appointment's public id."""
    return str(appointment.external_id)[:8].upper()


def _visit(facility, starts_at: dt.datetime, practitioner, room, kind: str) -> _Visit:
    local = timezone.localtime(starts_at, zoneinfo.ZoneInfo(facility.timezone))
    return _Visit(
        facility=facility.name,
        phone=facility.phone,
        when=f"{local:%a %d %b %Y} at {local:%H:%M}",
        short_when=f"{local:%a %d %b %H:%M}",
        practitioner=practitioner.display_name,
        place=room.name if room is not None else facility.name,
        by_phone=kind == AppointmentKind.TELEPHONE,
    )


def _of(appointment: Appointment) -> _Visit:
    return _visit(
        appointment.facility,
        appointment.starts_at,
        appointment.practitioner,
        appointment.room,
        appointment.kind,
    )


def _details(visit: _Visit, reference: str) -> str:
    where = (
        "By telephone: the clinic will call you."
        if visit.by_phone
        else f"{visit.place}, {visit.facility}"
    )
    lines = [
        f"When: {visit.when}",
        f"With: {visit.practitioner}",
        f"Where: {where}",
        f"Reference: {reference}",
    ]
    return "\n".join(lines)


def _call(visit: _Visit, what: str) -> str:
    return f"To {what}, call {visit.phone} and quote the reference." if visit.phone else ""


def _email(opening: str, visit: _Visit, reference: str, closing: str) -> str:
    parts = [opening, _details(visit, reference), closing, visit.facility]
    return "\n\n".join(p for p in parts if p) + "\n"


def _sms(text: str, visit: _Visit, reference: str) -> str:
    call = f" Call {visit.phone}." if visit.phone else ""
    where = "by phone" if visit.by_phone else visit.place
    return (
        f"{visit.facility}: {text} {visit.short_when}, {visit.practitioner}, {where}. "
        f"Ref {reference}.{call}"
    )


def _topic(appointment: Appointment) -> str:
    return f"appointment:{appointment.external_id}"


def _leads() -> list[dt.timedelta]:
    return sorted((dt.timedelta(hours=h) for h in settings.HMS_REMINDER_HOURS), reverse=True)


def _reminders(appointment: Appointment, after: dt.datetime, now: dt.datetime) -> list:
    """The reminders still worth sending, each at least MIN_GAP after the message before
    it (sent at `after`), moved out of quiet hours."""
    visit, reference = _of(appointment), reference_of(appointment)
    zone = zoneinfo.ZoneInfo(appointment.facility.timezone)
    drafts = []
    for lead in _leads():
        due = appointment.starts_at - lead
        if due <= now:
            continue
        held = messaging.hold_for_quiet_hours(
            due, zone=zone, now=now, deadline=appointment.starts_at
        )
        if held is None or held - after < MIN_GAP:
            continue
        minutes = int(lead.total_seconds() // 60)
        drafts.append(
            messaging.Draft(
                reference=f"{_topic(appointment)}:reminder-{minutes}m",
                topic=_topic(appointment),
                purpose="reminder",
                subject=f"Appointment reminder: {visit.short_when}",
                body=_email(
                    f"A reminder of your appointment at {visit.facility}.",
                    visit,
                    reference,
                    _call(visit, "change or cancel it"),
                ),
                sms_body=_sms("reminder of your appointment", visit, reference),
                due_at=held,
                expires_at=appointment.starts_at,
            )
        )
        after = held
    return drafts


def _urgent(patient: Patient, deadline: dt.datetime, now: dt.datetime) -> tuple[dt.datetime, bool]:
    """When a notice that must arrive before `deadline` goes: at once, or at the end of
    quiet hours if that is still in time; (due, ignores quiet hours)."""
    held = messaging.hold_for_quiet_hours(
        now, zone=messaging.zone_of(patient), now=now, deadline=deadline
    )
    if held is None or held > deadline:
        return now, True
    return held, False


def plan_for_booking(
    appointment: Appointment, *, now: dt.datetime | None = None
) -> list[messaging.Queued]:
    """Queue the confirmation of a new booking (now, or when quiet hours end) and its
    reminders. One insert; call inside the booking's transaction."""
    now = now or timezone.now()
    visit, reference = _of(appointment), reference_of(appointment)
    zone = zoneinfo.ZoneInfo(appointment.facility.timezone)
    confirm_at = messaging.hold_for_quiet_hours(
        now, zone=zone, now=now, deadline=appointment.starts_at
    )
    confirmation = messaging.Draft(
        reference=f"{_topic(appointment)}:booked",
        topic=_topic(appointment),
        purpose="confirmation",
        subject=f"Appointment booked: {visit.short_when}",
        body=_email(
            f"Your appointment at {visit.facility} is booked.",
            visit,
            reference,
            _call(visit, "change or cancel it"),
        ),
        sms_body=_sms("appointment booked for", visit, reference),
        due_at=confirm_at or now,
        expires_at=appointment.starts_at,
    )
    drafts = [confirmation, *_reminders(appointment, confirm_at or now, now)]
    return messaging.queue_messages(patient=appointment.patient, drafts=drafts, now=now)


def plan_for_cancellation(
    appointment: Appointment, *, now: dt.datetime | None = None
) -> list[messaging.Queued]:
    """Cancel the appointment's pending messages and queue the notice that it is
    cancelled. Call inside the cancellation's transaction."""
    now = now or timezone.now()
    messaging.cancel_pending(topic=_topic(appointment))
    visit, reference = _of(appointment), reference_of(appointment)
    due, urgent = _urgent(appointment.patient, appointment.starts_at, now)
    notice = messaging.Draft(
        reference=f"{_topic(appointment)}:cancelled",
        topic=_topic(appointment),
        purpose="cancellation",
        subject=f"Appointment cancelled: {visit.short_when}",
        body=_email(
            f"Your appointment at {visit.facility} has been cancelled.",
            visit,
            reference,
            _call(visit, "book another"),
        ),
        sms_body=_sms("your appointment is cancelled:", visit, reference),
        due_at=due,
        expires_at=appointment.starts_at,
        ignores_quiet_hours=urgent,
    )
    return messaging.queue_messages(patient=appointment.patient, drafts=[notice], now=now)


def plan_for_reschedule(
    *, old: Appointment, new: Appointment, now: dt.datetime | None = None
) -> list[messaging.Queued]:
    """A moved appointment: the old one's pending messages are cancelled, and one
    message gives the new time (instead of a cancellation and a confirmation), followed
    by the new one's reminders. Call inside the reschedule's transaction."""
    now = now or timezone.now()
    messaging.cancel_pending(topic=_topic(old))
    visit, reference = _of(new), reference_of(new)
    before = _of(old)
    deadline = min(old.starts_at, new.starts_at)
    due, urgent = _urgent(new.patient, deadline, now)
    moved = messaging.Draft(
        reference=f"{_topic(new)}:moved",
        topic=_topic(new),
        purpose="moved",
        subject=f"Appointment moved to {visit.short_when}",
        body=_email(
            f"Your appointment at {visit.facility} on {before.when} has moved.",
            visit,
            reference,
            _call(visit, "change or cancel it"),
        ),
        sms_body=_sms(f"your appointment of {before.short_when} has moved to", visit, reference),
        due_at=due,
        expires_at=deadline,
        ignores_quiet_hours=urgent,
    )
    drafts = [moved, *_reminders(new, due, now)]
    return messaging.queue_messages(patient=new.patient, drafts=drafts, now=now)


def offer_slot(
    *, patient: Patient, slot: Slot, reference: str, now: dt.datetime | None = None
) -> list[messaging.Queued]:
    """Tell a patient on the waitlist that `slot` is free (the waitlist calls this in
    the transaction that offers it). `reference` names the offer once, e.g.
    "waitlist:<entry uuid>:<slot id>"; the patient quotes its first id part. The offer
    lapses when the slot starts."""
    now = now or timezone.now()
    facility = patient.facility
    kind = slot.schedule.kind if slot.schedule_id else AppointmentKind.NEW
    visit = _visit(facility, slot.starts_at, slot.practitioner, slot.room, kind)
    parts = reference.split(":")
    quoted = (parts[1] if len(parts) > 1 else parts[0])[:8].upper()
    offer = messaging.Draft(
        reference=f"{reference}:offer",
        topic=reference,
        purpose="waitlist_offer",
        subject=f"An earlier appointment is free: {visit.short_when}",
        body=_email(
            f"An appointment has come free at {visit.facility}, earlier than the one you "
            "are waiting for. It is not held for you: the first to take it has it.",
            visit,
            quoted,
            _call(visit, "take it"),
        ),
        sms_body=_sms("an earlier appointment is free:", visit, quoted),
        due_at=now,
        expires_at=slot.starts_at,
    )
    return messaging.queue_messages(patient=patient, drafts=[offer], now=now)
