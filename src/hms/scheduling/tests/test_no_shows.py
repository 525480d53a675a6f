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


def _attended(receptionist, facility, schedule, statuses):
    """Book one new patient per status, in the schedule's first slots, and set it."""
    from hms.patients.testing import registered
    from hms.scheduling.models import Slot

    slots = Slot.objects.filter(schedule=schedule, is_emergency=False).order_by("starts_at")
    made = []
    for number, (slot, status) in enumerate(zip(slots, statuses, strict=False)):
        patient = registered(facility, given_name=f"Rate{number}")
        booked = services.book_appointment(actor=receptionist, patient=patient, slot=slot)
        Appointment.objects.filter(pk=booked.pk).update(status=status)
        made.append(booked)
    return made


def test_no_show_rates_per_doctor_weekday_and_patient(receptionist, facility, schedule, tomorrow):
    from hms.scheduling import selectors

    statuses = ["noshow", "fulfilled", "noshow", "arrived", "cancelled", "booked"]
    made = _attended(receptionist, facility, schedule, statuses)

    by_doctor = selectors.no_show_rates(viewer=receptionist, facility=facility, by="practitioner")
    assert [(r["label"], r["appointments"], r["no_shows"], r["rate"]) for r in by_doctor] == [
        ("Hassan", 4, 2, 0.5)  # cancelled and still-booked ones do not count
    ]
    by_day = selectors.no_show_rates(viewer=receptionist, facility=facility, by="weekday")
    assert [r["label"] for r in by_day] == [f"{tomorrow:%A}"]
    by_patient = selectors.no_show_rates(viewer=receptionist, facility=facility, by="patient")
    assert by_patient[0]["rate"] == 1.0
    assert by_patient[0]["key"] == str(made[0].patient.external_id)
    assert by_patient[-1]["rate"] == 0.0
    later = selectors.no_show_rates(
        viewer=receptionist,
        facility=facility,
        by="practitioner",
        since=tomorrow + dt.timedelta(days=1),
    )
    assert later == []


def test_no_show_rates_over_the_api(api_client_for, facility, schedule, receptionist):
    _attended(receptionist, facility, schedule, ["noshow", "fulfilled"])
    desk = api_client_for("receptionist")
    rows = desk.get("/api/v1/appointments/no-shows/", {"by": "department"}).json()
    assert [(r["appointments"], r["no_shows"], r["rate"]) for r in rows] == [(2, 1, 0.5)]
    for query, field in (
        ({"by": "mood"}, "by"),
        ({"by": "weekday", "since": "2026-02-30"}, "since"),
    ):
        answer = desk.get("/api/v1/appointments/no-shows/", query)
        assert answer.status_code == 400
        assert field in answer.json()["errors"]
    assert (
        api_client_for("pharmacist")
        .get("/api/v1/appointments/no-shows/", {"by": "weekday"})
        .status_code
        == 403
    )
