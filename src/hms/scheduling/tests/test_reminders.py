"""Appointment messages: a confirmation and reminders at booking, held out of quiet
hours; a cancellation stops the pending reminders and says so; a move sends one message;
a freed slot is offered; and no message carries a clinical detail."""

from __future__ import annotations

import datetime as dt
import zoneinfo

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext

from hms.core import sms
from hms.core.models import Department
from hms.patients import sending
from hms.patients.models import OutboundMessage, Patient
from hms.patients.testing import registered
from hms.patients.tests.smtp import smtp_server
from hms.scheduling import reminders, services
from hms.scheduling.models import Appointment, Room, Slot
from hms.staff.models import Specialty

pytestmark = pytest.mark.django_db

Status = OutboundMessage.Status
NAIROBI = zoneinfo.ZoneInfo("Africa/Nairobi")
# Monday 11 May 2026, 09:00 in Nairobi; "tomorrow" (the clinic's day) is Tuesday.
NOW = dt.datetime(2026, 5, 11, 9, 0, tzinfo=NAIROBI)


def local(day: int, hour: int, minute: int = 0) -> dt.datetime:
    return dt.datetime(2026, 5, day, hour, minute, tzinfo=NAIROBI)


@pytest.fixture(autouse=True)
def clock():
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


@pytest.fixture(autouse=True)
def sms_outbox():
    sms.outbox.clear()
    yield sms.outbox
    sms.outbox.clear()


@pytest.fixture
def smtp(settings):
    with smtp_server() as (inbox, port):
        settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
        settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", port
        yield inbox


@pytest.fixture
def patient(facility) -> Patient:
    return registered(
        facility,
        email="juma@example.org",
        phone="+254712345678",
        consent_email=True,
        consent_sms=True,
    )


def slot_at(schedule, hour: int, minute: int = 0) -> Slot:
    return Slot.objects.get(schedule=schedule, starts_at=local(12, hour, minute))


def planned(appointment: Appointment, channel: str = "email") -> list[tuple[str, dt.datetime]]:
    rows = OutboundMessage.objects.filter(
        topic=f"appointment:{appointment.external_id}", channel=channel, status=Status.QUEUED
    ).order_by("due_at")
    return [(m.purpose, m.due_at.astimezone(NAIROBI)) for m in rows]


def book(receptionist, patient, slot, **kwargs) -> Appointment:
    return services.book_appointment(actor=receptionist, patient=patient, slot=slot, **kwargs)


def test_booking_queues_a_confirmation_and_the_reminders(receptionist, patient, schedule):
    appointment = book(receptionist, patient, slot_at(schedule, 11))

    expected = [
        ("confirmation", local(11, 9)),
        ("reminder", local(11, 11)),  # 24 h before
        ("reminder", local(12, 9)),  # 2 h before
    ]
    assert planned(appointment, "email") == expected
    assert planned(appointment, "sms") == expected
    reminder = OutboundMessage.objects.get(
        reference=f"appointment:{appointment.external_id}:reminder-120m:sms"
    )
    assert reminder.expires_at == appointment.starts_at
    assert reminder.body == (
        "Riverside General: reminder of your appointment Tue 12 May 11:00, Dr Amina Hassan, "
        f"Consulting room 3. Ref {reminders.reference_of(appointment)}."
    )


def test_queuing_is_one_insert_in_the_booking(receptionist, patient, schedule):
    appointment = book(receptionist, patient, slot_at(schedule, 11))
    OutboundMessage.objects.all().delete()

    with CaptureQueriesContext(connection) as queries:
        reminders.plan_for_booking(appointment)

    assert len(queries) == 1
    assert OutboundMessage.objects.count() == 6


def test_a_reminder_already_past_is_left_out(receptionist, patient, schedule):
    appointment = book(receptionist, patient, slot_at(schedule, 8, 30))  # 24 h before: 08:30 today

    # only the 2 h reminder, held to the end of quiet hours
    assert planned(appointment) == [("confirmation", local(11, 9)), ("reminder", local(12, 7))]


def test_a_reminder_in_quiet_hours_goes_when_they_end(receptionist, patient, schedule):
    appointment = book(receptionist, patient, slot_at(schedule, 8))  # 2 h before: 06:00

    assert planned(appointment) == [("confirmation", local(11, 9)), ("reminder", local(12, 7))]


def test_a_reminder_before_an_early_start_goes_the_evening_before(
    receptionist, patient, schedule, settings
):
    settings.HMS_QUIET_HOURS = "21:00-09:00"  # the 08:00 appointment starts inside them
    appointment = book(receptionist, patient, slot_at(schedule, 8))

    assert planned(appointment) == [
        ("confirmation", local(11, 9)),
        ("reminder", local(11, 20, 59)),
    ]


def test_a_reminder_right_after_the_confirmation_is_dropped(receptionist, patient, schedule, clock):
    clock.move_to(local(11, 10, 30))  # the 24 h reminder would follow in 30 minutes
    appointment = book(receptionist, patient, slot_at(schedule, 11))

    assert planned(appointment) == [("confirmation", local(11, 10, 30)), ("reminder", local(12, 9))]


def test_reminder_leads_are_configurable(receptionist, patient, schedule, settings):
    settings.HMS_REMINDER_HOURS = [3]
    appointment = book(receptionist, patient, slot_at(schedule, 11))

    assert planned(appointment) == [("confirmation", local(11, 9)), ("reminder", local(12, 8))]


def test_a_booking_in_quiet_hours_is_confirmed_in_the_morning(
    receptionist, patient, schedule, clock
):
    clock.move_to(local(11, 22))
    appointment = book(receptionist, patient, slot_at(schedule, 11))

    assert planned(appointment) == [("confirmation", local(12, 7)), ("reminder", local(12, 9))]


def test_cancelling_stops_the_reminders_and_sends_a_notice(
    receptionist, patient, schedule, smtp, sms_outbox
):
    appointment = book(receptionist, patient, slot_at(schedule, 11))
    sending.send_due_messages()  # the confirmation

    services.cancel_appointment(actor=receptionist, appointment=appointment, reason="Travelling")
    sending.send_due_messages()
    sending.send_due_messages(now=appointment.starts_at - dt.timedelta(minutes=1))

    assert [m["Subject"] for m in smtp.messages] == [
        "Appointment booked: Tue 12 May 11:00",
        "Appointment cancelled: Tue 12 May 11:00",
    ]
    assert len(sms_outbox) == 2
    reminders_left = OutboundMessage.objects.filter(purpose="reminder")
    assert set(reminders_left.values_list("status", flat=True)) == {Status.CANCELLED}
    assert "Travelling" not in smtp.messages[1].get_payload()


def test_a_cancellation_that_cannot_wait_for_morning_goes_at_once(
    receptionist, patient, schedule, settings, clock
):
    settings.HMS_QUIET_HOURS = "21:00-09:00"
    appointment = book(receptionist, patient, slot_at(schedule, 8))
    clock.move_to(local(11, 23))

    services.cancel_appointment(actor=receptionist, appointment=appointment, reason="Unwell")

    notice = OutboundMessage.objects.get(purpose="cancellation", channel="sms")
    assert (notice.due_at, notice.ignores_quiet_hours) == (local(11, 23), True)
    assert sending.send_due_messages().sent == 2


def test_moving_an_appointment_sends_one_message_with_the_new_time(
    receptionist, patient, schedule, smtp
):
    old = book(receptionist, patient, slot_at(schedule, 11))
    sending.send_due_messages()

    new = services.reschedule_appointment(
        actor=receptionist, appointment=old, slot=slot_at(schedule, 11, 30)
    )
    sending.send_due_messages()

    assert [m["Subject"] for m in smtp.messages] == [
        "Appointment booked: Tue 12 May 11:00",
        "Appointment moved to Tue 12 May 11:30",
    ]
    body = smtp.messages[1].get_payload()
    assert "on Tue 12 May 2026 at 11:00 has moved" in body
    assert "When: Tue 12 May 2026 at 11:30" in body
    assert f"Reference: {reminders.reference_of(new)}" in body
    assert planned(old) == []
    assert planned(new) == [("reminder", local(11, 11, 30)), ("reminder", local(12, 9, 30))]


def test_a_freed_slot_is_offered_until_it_starts(patient, schedule):
    slot = slot_at(schedule, 9)

    reminders.offer_slot(patient=patient, slot=slot, reference="waitlist:3f2a9c1e-0000:42")

    offer = OutboundMessage.objects.get(channel="sms")
    assert offer.reference == "waitlist:3f2a9c1e-0000:42:offer:sms"
    assert (offer.due_at, offer.expires_at) == (NOW, slot.starts_at)
    assert offer.body.startswith(
        "Riverside General: an earlier appointment is free: Tue 12 May 09:00"
    )
    assert offer.body.endswith("Ref 3F2A9C1E.")


def test_an_email_says_when_where_with_whom_and_the_reference(
    receptionist, patient, schedule, smtp, facility
):
    facility.phone = "+254 20 123 4567"
    facility.save(update_fields=["phone"])
    patient.facility.refresh_from_db()
    appointment = book(receptionist, patient, slot_at(schedule, 11))

    sending.send_due_messages()

    [received] = smtp.messages
    assert received.get_payload().replace("\r\n", "\n") == (
        "Your appointment at Riverside General is booked.\n\n"
        "When: Tue 12 May 2026 at 11:00\n"
        "With: Dr Amina Hassan\n"
        "Where: Consulting room 3, Riverside General\n"
        f"Reference: {reminders.reference_of(appointment)}\n\n"
        "To change or cancel it, call +254 20 123 4567 and quote the reference.\n\n"
        "Riverside General\n"
    )


SENSITIVE = ["HIV", "viral load", "lymphoma", "Oncology", "oncolog", "chemo"]


def test_no_message_carries_a_clinical_detail(
    receptionist, patient, schedule, smtp, sms_outbox, facility, practitioner
):
    # given a clinic whose department and specialty names disclose a condition
    oncology = Department.objects.create(
        facility=facility, code="ONC", name="Oncology", kind=Department.Kind.OUTPATIENT
    )
    Room.objects.filter(code="R3").update(department=oncology)
    practitioner.department = oncology
    practitioner.save(update_fields=["department"])
    practitioner.specialties.add(Specialty.objects.create(code="ONC", name="Medical Oncology"))
    reason = "HIV viral load; suspected lymphoma, chemo review"

    # when every kind of message is made and sent
    first = book(receptionist, patient, slot_at(schedule, 11), reason=reason)
    sending.send_due_messages()
    moved = services.reschedule_appointment(
        actor=receptionist, appointment=first, slot=slot_at(schedule, 11, 30), reason=reason
    )
    sending.send_due_messages()
    services.cancel_appointment(actor=receptionist, appointment=moved, reason=reason)
    sending.send_due_messages()
    reminders.offer_slot(patient=patient, slot=slot_at(schedule, 9), reference="waitlist:abc:1")
    again = book(receptionist, patient, slot_at(schedule, 11, 15), reason=reason)
    sending.send_due_messages()
    sending.send_due_messages(now=again.starts_at - dt.timedelta(hours=2))

    # then no subject, body or SMS says anything of it
    written = [m.subject + m.body for m in OutboundMessage.objects.all()]
    received = [m.as_string() for m in smtp.messages] + [s.body for s in sms_outbox]
    assert [m["Subject"] for m in smtp.messages] == [
        "Appointment booked: Tue 12 May 11:00",
        "Appointment moved to Tue 12 May 11:30",
        "Appointment cancelled: Tue 12 May 11:30",
        "An earlier appointment is free: Tue 12 May 09:00",
        "Appointment booked: Tue 12 May 11:15",
        "Appointment reminder: Tue 12 May 11:15",
        "Appointment reminder: Tue 12 May 11:15",
    ]
    assert len(sms_outbox) == 7
    for text in written + received:
        for word in SENSITIVE:
            assert word.lower() not in text.lower(), (word, text)
