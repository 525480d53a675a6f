"""A patient who often misses appointments: their history shows at booking, and a
session may double-book their slots (their booking adds a place instead of taking one)."""

from __future__ import annotations

import pytest

from hms.patients.testing import registered
from hms.scheduling import selectors, services
from hms.scheduling.errors import SlotTaken
from hms.scheduling.models import Appointment, Slot

pytestmark = pytest.mark.django_db


def missed(receptionist, patient, slots, count: int) -> None:
    for slot in slots[:count]:
        appointment = services.book_appointment(actor=receptionist, patient=patient, slot=slot)
        Appointment.objects.filter(pk=appointment.pk).update(status=Appointment.Status.NOSHOW)


@pytest.fixture
def later_slots(schedule):
    return list(Slot.objects.filter(schedule=schedule).order_by("starts_at")[10:14])


def test_the_history_counts_missed_appointments(receptionist, patient, later_slots):
    assert selectors.no_show_history(patient) == {
        "appointments": 0,
        "no_shows": 0,
        "last_no_show": None,
        "chronic": False,
    }
    missed(receptionist, patient, later_slots, 1)
    one = selectors.no_show_history(patient)
    assert (one["appointments"], one["no_shows"], one["chronic"]) == (1, 1, False)
    missed(receptionist, patient, later_slots[1:], 1)
    assert selectors.no_show_history(patient)["chronic"] is True


def test_a_chronic_no_show_adds_a_place_to_a_double_booking_session(
    receptionist, patient, facility, schedule, slot, later_slots
):
    schedule.double_book_no_shows = True
    schedule.save(update_fields=["double_book_no_shows"])
    missed(receptionist, patient, later_slots, 2)
    risky = services.book_appointment(actor=receptionist, patient=patient, slot=slot)
    slot.refresh_from_db()
    assert risky.adds_place
    assert (slot.capacity, slot.booked) == (2, 1)
    reliable = registered(facility, given_name="Neema")
    services.book_appointment(actor=receptionist, patient=reliable, slot=slot)
    slot.refresh_from_db()
    assert (slot.capacity, slot.booked) == (2, 2)
    with pytest.raises(SlotTaken):
        services.book_appointment(actor=receptionist, patient=registered(facility), slot=slot)
    services.cancel_appointment(actor=receptionist, appointment=risky, reason="Rang to cancel")
    slot.refresh_from_db()
    assert (slot.capacity, slot.booked) == (1, 1)


def test_without_the_setting_a_chronic_no_show_takes_a_place(
    receptionist, patient, facility, slot, later_slots
):
    missed(receptionist, patient, later_slots, 2)
    appointment = services.book_appointment(actor=receptionist, patient=patient, slot=slot)
    slot.refresh_from_db()
    assert not appointment.adds_place
    assert (slot.capacity, slot.booked) == (1, 1)


def test_the_history_over_the_api(api_client_for, receptionist, patient, later_slots):
    missed(receptionist, patient, later_slots, 2)
    desk = api_client_for("receptionist")
    body = desk.get(f"/api/v1/appointments/no-shows/{patient.external_id}/").json()
    assert (body["no_shows"], body["chronic"]) == (2, True)
    assert desk.get("/api/v1/appointments/no-shows/not-a-uuid/").status_code == 404
