"""The sessions page: a weekly session added (its slots made), time blocked with the
bookings to move listed; impossible input shown on the field, nothing saved."""

from __future__ import annotations

import pytest
from django.urls import reverse

from hms.scheduling import services
from hms.scheduling.models import Schedule, ScheduleBlock, Slot

pytestmark = pytest.mark.django_db


@pytest.fixture
def office(client_for):
    return client_for("admin")


def url(practitioner) -> str:
    return f"{reverse('appointments:sessions')}?doctor={practitioner.external_id}"


def session(tomorrow, **extra):
    return {
        "form": "session",
        "weekday": tomorrow.weekday(),
        "starts_at": "14:00",
        "ends_at": "16:00",
        "slot_minutes": "20",
        "kind": "new",
        "capacity": "1",
        "emergency_slots": "0",
        "room": "R3",
        "break_from": "15:00",
        "break_to": "15:20",
        "valid_from": tomorrow.isoformat(),
        **extra,
    }


def test_a_session_added_on_the_page_opens_its_slots(office, practitioner, room, tomorrow):
    page = office.get(url(practitioner))
    assert page.status_code == 200
    assert "No weekly sessions yet." in page.content.decode()
    response = office.post(url(practitioner), session(tomorrow))
    assert response.status_code == 302
    added = Schedule.objects.get(practitioner=practitioner)
    assert (added.room, added.breaks) == (room, [["15:00", "15:20"]])
    assert Slot.objects.filter(schedule=added).exists()
    assert "14:00–16:00" in office.get(url(practitioner)).content.decode()


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        ({"ends_at": "13:00"}, "The session must end after it starts."),
        ({"slot_minutes": "0"}, "greater than or equal to 1"),
        ({"valid_from": "2026-02-30"}, "Enter a date as dd/mm/yyyy (or yyyy-mm-dd)."),
        ({"break_from": "15:00", "break_to": ""}, "or neither"),
        ({"break_from": "17:00", "break_to": "18:00"}, "inside the session"),
        ({"starts_at": "'; DROP TABLE x;--"}, "Enter a valid time."),
    ],
)
def test_impossible_sessions_are_shown_on_the_form(
    office, practitioner, room, tomorrow, extra, message
):
    response = office.post(url(practitioner), session(tomorrow, **extra))
    assert response.status_code == 400
    assert message in response.content.decode()
    assert not Schedule.objects.exists()


def test_blocking_time_lists_the_bookings_to_move(
    office, receptionist, patient, practitioner, slot, facility
):
    services.book_appointment(actor=receptionist, patient=patient, slot=slot)
    local = slot.starts_at.astimezone(services.times.zone_of(facility))
    body = {
        "form": "block",
        "kind": "leave",
        "starts_at": f"{local:%Y-%m-%dT%H:%M}",
        "ends_at": f"{local.replace(hour=local.hour + 2):%Y-%m-%dT%H:%M}",
        "reason": "Conference",
    }
    response = office.post(url(practitioner), body)
    assert response.status_code == 200
    html = response.content.decode()
    assert "Bookings to move" in html
    assert patient.full_name in html
    assert ScheduleBlock.objects.get().reason == "Conference"


def test_only_schedule_managers_see_the_page(client_for, practitioner):
    assert client_for("receptionist").get(url(practitioner)).status_code == 403
    assert (
        client_for("admin").get(f"{reverse('appointments:sessions')}?doctor=nope").status_code
        == 200
    )
