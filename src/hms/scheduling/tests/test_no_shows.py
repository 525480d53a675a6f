"""Appointments not checked in by the grace period become no-shows, once each."""

from __future__ import annotations

import datetime as dt

import pytest

from hms.patients.models import TimelineEntry
from hms.scheduling import services
from hms.scheduling.models import Appointment

pytestmark = pytest.mark.django_db


def test_a_booking_unattended_past_the_grace_period_is_a_no_show(receptionist, patient, slot):
    appointment = services.book_appointment(actor=receptionist, patient=patient, slot=slot)

    assert services.mark_no_shows(now=slot.starts_at + dt.timedelta(minutes=59)) == 0
    assert services.mark_no_shows(now=slot.starts_at + dt.timedelta(minutes=61)) == 1
    assert services.mark_no_shows(now=slot.starts_at + dt.timedelta(hours=5)) == 0

    appointment.refresh_from_db()
    assert appointment.status == Appointment.Status.NOSHOW
    entry = TimelineEntry.objects.get(summary__startswith="Did not attend")
    assert entry.detail["status"] == "noshow"


def test_cancelled_and_checked_in_appointments_are_left_alone(
    receptionist, patient, slot, schedule
):
    from hms.scheduling.models import Slot

    later = Slot.objects.filter(schedule=schedule).order_by("starts_at")[1]
    cancelled = services.book_appointment(actor=receptionist, patient=patient, slot=slot)
    services.cancel_appointment(actor=receptionist, appointment=cancelled, reason="Travelling")
    arrived = services.book_appointment(actor=receptionist, patient=patient, slot=later)
    Appointment.objects.filter(pk=arrived.pk).update(status=Appointment.Status.ARRIVED)

    assert services.mark_no_shows(now=later.starts_at + dt.timedelta(hours=2)) == 0


def test_the_command_marks_and_says_how_many(receptionist, patient, slot, time_machine):
    from io import StringIO

    from django.core.management import call_command

    services.book_appointment(actor=receptionist, patient=patient, slot=slot)
    time_machine.move_to(slot.starts_at + dt.timedelta(hours=2))
    out = StringIO()
    call_command("mark_no_shows", stdout=out)
    assert out.getvalue().strip() == "1 appointment(s) marked as no-shows."
